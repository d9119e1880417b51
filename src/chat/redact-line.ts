/**
 * The chat line as it may be stored (audit stream, run trigger): values of the workflow's secret
 * inputs typed into it (`deploy api 1.2 token=abc`) become `***`. When the line cannot be parsed,
 * only the command word is kept: better to lose the line than to keep a secret.
 */
import type { Token } from '../config/usage-words.js';
import { Masker } from '../lib/mask.js';
import { secretInputNames } from '../workflow/inputs.js';
import type { Workflow } from '../workflow/schema.js';
import type { CompiledCommand } from './parse-command.js';
import { parseCommandLine } from './parse-command.js';

export function redactLine(line: string, cmd: CompiledCommand, tokens: readonly Token[], workflow: Workflow | undefined): string {
  const secrets = workflow ? secretInputNames(workflow) : [];
  if (secrets.length === 0) return line;
  const parsed = parseCommandLine(cmd, tokens);
  if (!parsed.ok) return `${cmd.def.name} …`;
  const values = secrets.map((n) => parsed.inputs[n]).filter((v): v is string => v !== undefined && v !== '');
  return values.length > 0 ? new Masker(values).mask(line) : line;
}
