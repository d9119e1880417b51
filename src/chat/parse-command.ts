/**
 * From a chat line to a command's raw inputs: strip the prefix (`/ops`, a mention), split into
 * words, match the usage pattern, map `{arg}`s to inputs and add trailing `key=value` extras.
 * Type checks are left to the workflow's input schema (validateInputs), which the router runs next.
 */
import type { CommandFile } from '../config/command-schema.js';
import type { UsagePattern } from '../config/usage.js';
import { diagnose, matchUsage, splitExtras } from '../config/usage.js';
import type { Token } from '../config/usage-words.js';
import { collectAssignments } from '../workflow/input-names.js';
import type { ChatContent, ReplyBlock } from './platform.js';
import { code, errorReply, text } from './replies.js';

/** A command as commands/*.yaml defines it; the loaded CommandDef (file, parsed usage) is one too. */
export type RouterCommand = CommandFile;

export interface CompiledCommand {
  def: RouterCommand;
  pattern: UsagePattern;
}

const MENTION = /^(<@!?[A-Za-z0-9_]+>|@[A-Za-z0-9_.-]+)[\s,:]*/;

/** Removes a leading mention and/or command prefix such as `/ops`. */
export function stripPrefix(line: string, prefixes: readonly string[]): string {
  let rest = line.trim().replace(MENTION, '');
  for (const p of prefixes) {
    const lower = rest.toLowerCase();
    if (lower === p.toLowerCase()) return '';
    if (lower.startsWith(`${p.toLowerCase()} `)) {
      rest = rest.slice(p.length).trimStart();
      break;
    }
  }
  return rest;
}

export function usageHelp(cmd: RouterCommand): ReplyBlock[] {
  const blocks: ReplyBlock[] = [code(`usage: ${cmd.usage}  [key=value …]`)];
  if (cmd.examples.length > 0) blocks.push(code(cmd.examples.map((e) => `e.g. ${e}`).join('\n')));
  return blocks;
}

export type ParsedLine =
  | {
      ok: true;
      /** Raw input values (strings) for validateInputs. */
      inputs: Record<string, string>;
      /** input name -> the usage argument that filled it, to word errors in the user's terms. */
      argOfInput: Record<string, string>;
    }
  | { ok: false; reply: ChatContent };

function fillTemplate(template: string, args: Record<string, string>): string | undefined {
  let missing = false;
  const out = template.replace(/\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_, name: string) => {
    const v = args[name];
    if (v === undefined) missing = true;
    return v ?? '';
  });
  // An optional part left out leaves its input unset (defaults apply), not half-filled.
  return missing ? undefined : out;
}

export function parseCommandLine(cmd: CompiledCommand, tokens: readonly Token[]): ParsedLine {
  const { words, extras } = splitExtras(tokens);
  const args = matchUsage(cmd.pattern, words);
  if (!args) {
    const why = diagnose(cmd.pattern, words);
    const problem =
      why.kind === 'missing'
        ? why.arg !== undefined
          ? `missing {${why.arg}}`
          : `missing the word "${why.literal ?? ''}"`
        : why.kind === 'expected-word'
          ? `expected "${why.literal}" where you wrote "${why.got}"`
          : `unexpected "${why.got}" (quote values with spaces, set other inputs with key=value)`;
    return { ok: false, reply: errorReply('E_USAGE', `${cmd.def.name}: ${problem}`, usageHelp(cmd.def)) };
  }
  const inputs: Record<string, string> = {};
  const argOfInput: Record<string, string> = {};
  const mapping = cmd.def.inputs ?? {};
  const mapped = new Set(Object.values(mapping).flatMap((t) => [...t.matchAll(/\{([A-Za-z_][A-Za-z0-9_]*)\}/g)].map((m) => m[1] ?? '')));
  for (const arg of cmd.pattern.args) {
    if (mapped.has(arg) || args[arg] === undefined) continue;
    inputs[arg] = args[arg];
    argOfInput[arg] = arg;
  }
  for (const [input, template] of Object.entries(mapping)) {
    const value = fillTemplate(template, args);
    if (value === undefined) continue;
    inputs[input] = value;
    const only = /^\{([A-Za-z_][A-Za-z0-9_]*)\}$/.exec(template)?.[1];
    if (only !== undefined) argOfInput[input] = only;
  }
  const given = collectAssignments(extras.flatMap((t) => (t.assignment ? [t.assignment] : [])));
  if (!given.ok) {
    const code = given.code === 'E_INPUT_NAME' ? 'E_INVALID_INPUT' : 'E_INPUT_TWICE';
    return { ok: false, reply: errorReply(code, `${cmd.def.name}: ${given.message}`, usageHelp(cmd.def)) };
  }
  for (const [key, value] of Object.entries(given.inputs)) {
    const a = { key, value };
    if (Object.hasOwn(inputs, a.key)) {
      const from = argOfInput[a.key];
      return {
        ok: false,
        reply: errorReply('E_INPUT_TWICE', `${cmd.def.name}: ${a.key} is set twice`, [
          text(from !== undefined ? `"${a.key}" already comes from {${from}} in the usage; drop ${a.key}=${a.value}.` : `"${a.key}" is fixed by this command.`),
          ...usageHelp(cmd.def),
        ]),
      };
    }
    inputs[a.key] = a.value;
  }
  return { ok: true, inputs, argOfInput };
}
