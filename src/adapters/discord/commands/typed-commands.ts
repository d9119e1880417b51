/**
 * Typed slash commands generated from commands/*.yaml (`/restart service:api host:web-1`), one per
 * command file, beside `/ops`: options from the usage's `{arguments}` (required outside `[ … ]`)
 * and from the workflow's other inputs (optional, the `key=value` words), typed from the input
 * each fills (choice inputs become choices, number and boolean inputs typed options), within
 * Discord's limits (names 1-32 lower-case characters, descriptions 100, 25 options, 25 choices).
 * A secret input is never an option (option values may be shown to others): the bot asks for it
 * in a modal (secret-modal.ts). A command that does not fit is left to `/ops` and reported. An
 * invocation becomes the same text line `/ops` takes (typedLine), so the router checks it exactly
 * as it checks a typed one.
 */
import type { APIApplicationCommandBasicOption, RESTPostAPIChatInputApplicationCommandsJSONBody } from 'discord-api-types/v10';
import type { CommandDef } from '../../../config/load-project.js';
import type { UsageNode } from '../../../config/usage.js';
import type { InputSpec, Workflow } from '../../../workflow/schema.js';
import { BOOLEAN_OPTION, CHAT_INPUT, NUMBER_OPTION, STRING_OPTION } from './command-kinds.js';
import { OPS_COMMAND } from './ops-command.js';

export const DISCORD_NAME = /^[-_\p{Ll}\p{N}]{1,32}$/u;
const MAX_OPTIONS = 25;
const MAX_CHOICES = 25;
const MAX_DESCRIPTION = 100;

export interface CommandProblem {
  command: string;
  file: string;
  message: string;
}

const cut = (text: string, max = MAX_DESCRIPTION) => (text.length <= max ? text : `${text.slice(0, max - 1)}…`);

/** The input a usage argument fills: the input whose template is exactly `{arg}`, else the same-named one. */
export function inputOfArg(cmd: Pick<CommandDef, 'inputs'>, arg: string): string {
  for (const [input, template] of Object.entries(cmd.inputs ?? {})) if (template.trim() === `{${arg}}`) return input;
  return arg;
}

function option(name: string, spec: InputSpec | undefined, required: boolean, fallback: string): APIApplicationCommandBasicOption {
  const description = cut(spec?.description ?? fallback) || name;
  if (spec?.type === 'number') return { type: NUMBER_OPTION, name, description, required };
  if (spec?.type === 'boolean') return { type: BOOLEAN_OPTION, name, description, required };
  const choices = spec?.type === 'choice' && spec.options && spec.options.length <= MAX_CHOICES ? spec.options.map((o) => ({ name: cut(o), value: o })) : undefined;
  return { type: STRING_OPTION, name, description, required, ...(choices ? { choices } : {}) };
}

/** The slash command of one command file, or why it cannot be one. */
export function typedCommand(cmd: CommandDef, workflow: Workflow | undefined): { command: RESTPostAPIChatInputApplicationCommandsJSONBody } | { problem: string } {
  const name = cmd.pattern.name;
  if (!DISCORD_NAME.test(name)) return { problem: `"${name}" cannot be a Discord command name (1-32 lower-case letters, digits, - and _); use /ops ${name}` };
  if (name === OPS_COMMAND) return { problem: `"${name}" is the name of the /ops command itself` };
  const inputs = workflow?.inputs ?? {};
  const options: APIApplicationCommandBasicOption[] = [];
  const filled = new Set<string>();
  for (const arg of cmd.pattern.args) {
    const input = inputOfArg(cmd, arg);
    filled.add(input);
    // Asked for in a modal: never an option.
    if (inputs[input]?.secret) continue;
    if (!DISCORD_NAME.test(arg.toLowerCase())) return { problem: `argument {${arg}} cannot be a Discord option name` };
    options.push(option(arg.toLowerCase(), inputs[input], cmd.pattern.requiredArgs.includes(arg), `{${arg}}`));
  }
  for (const [input, spec] of Object.entries(inputs)) {
    if (filled.has(input) || spec.secret || Object.prototype.hasOwnProperty.call(cmd.inputs ?? {}, input)) continue;
    if (!DISCORD_NAME.test(input)) return { problem: `input ${input} cannot be a Discord option name (lower case, 1-32 characters)` };
    options.push(option(input, spec, false, `input ${input}`));
  }
  const names = options.map((o) => o.name);
  const twice = names.find((n, i) => names.indexOf(n) !== i);
  if (twice) return { problem: `two options would be named ${twice}` };
  if (options.length > MAX_OPTIONS) return { problem: `${options.length} options, over Discord's 25` };
  // Discord wants required options before optional ones.
  options.sort((a, b) => Number(b.required ?? false) - Number(a.required ?? false));
  return { command: { type: CHAT_INPUT, name, description: cut(cmd.description ?? workflow?.description ?? `Run ${cmd.workflow}`) || name, options } };
}

/** Every command file's slash command, and the problems of those that cannot be one. */
export function typedCommands(commands: Iterable<CommandDef>, workflows: ReadonlyMap<string, Workflow>): { commands: RESTPostAPIChatInputApplicationCommandsJSONBody[]; problems: CommandProblem[] } {
  const out: RESTPostAPIChatInputApplicationCommandsJSONBody[] = [];
  const problems: CommandProblem[] = [];
  for (const cmd of commands) {
    const r = typedCommand(cmd, workflows.get(cmd.workflow));
    if ('problem' in r) problems.push({ command: cmd.name, file: cmd.file, message: `not a Discord slash command: ${r.problem}` });
    else out.push(r.command);
  }
  return { commands: out, problems };
}

/** Quote pairs of the chat grammar (config/usage-words.ts): inside one, everything up to its closing quote is literal. */
const QUOTES = [['"', '"'], ["'", "'"], ['“', '”'], ['‘', '’']] as const;

/**
 * A value as one word of the chat grammar: bare when it is plain, else between the first kind of
 * quotes it does not hold, so it stays one run of text in the line (masking finds a secret whole).
 * Only a value holding every closing quote is split into quoted parts around its double quotes.
 * Quoted, it is never read as key=value.
 */
export function word(value: string): string {
  if (/^[^\s"'\\“”‘’=]+$/.test(value)) return value;
  for (const [open, close] of QUOTES) if (!value.includes(close)) return `${open}${value}${close}`;
  return value
    .split('"')
    .map((part) => `"${part}"`)
    .join(`'"'`);
}

/**
 * The text line a typed command's options stand for (`restart api on web-1 dry_run=true`): the
 * usage's words with its arguments filled, an optional part only when all its arguments were
 * given, then the other options as key=value. The router parses and checks it as any line.
 */
export function typedLine(cmd: CommandDef, values: ReadonlyMap<string, string>): string {
  const render = (nodes: UsageNode[]): string[] | undefined => {
    const out: string[] = [];
    for (const n of nodes) {
      if (n.kind === 'word') out.push(n.text);
      else if (n.kind === 'arg') {
        const v = values.get(n.name.toLowerCase());
        if (v === undefined) return undefined;
        out.push(word(v));
      } else out.push(...(render(n.nodes) ?? []));
    }
    return out;
  };
  const args = new Set(cmd.pattern.args.map((a) => a.toLowerCase()));
  const extra = [...values].filter(([k]) => !args.has(k)).map(([k, v]) => `${k}=${word(v)}`);
  // A missing required argument leaves its place empty: the router answers with the usage.
  const main = render(cmd.pattern.nodes) ?? cmd.pattern.nodes.flatMap((n) => (n.kind === 'word' ? [n.text] : n.kind === 'arg' ? (values.has(n.name.toLowerCase()) ? [word(values.get(n.name.toLowerCase()) ?? '')] : []) : []));
  return [...main, ...extra].join(' ');
}
