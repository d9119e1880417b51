/**
 * Secret inputs on Discord are never slash-command options (others may see option values): they
 * are asked for in a modal, which only the invoking user sees. When a line (from `/ops` or a typed
 * command) runs a workflow whose required secret inputs (no default) it does not give, and the
 * user may run that command here, the answer is a modal (response type 9) holding the line as it
 * will run (a secret usage argument shows as its `{placeholder}`, where the usage has it) and one
 * field per missing secret, optional ones too (up to 4 in all); a line missing only optional
 * secrets runs without them (they can be typed as key=value). Its submission (interaction type 5) puts the secrets in (a placeholder takes its value, others
 * become `key=value`) and goes through the router like any line: the router masks them in what it
 * stores, the engine in the run's inputs and output. Stateless: the line travels in the modal, so
 * any replica takes the submission.
 */
import { ComponentType, InteractionResponseType, TextInputStyle, type APIModalInteractionResponse, type APIModalSubmission } from 'discord-api-types/v10';
import type { ChatUser } from '../../chat/platform.js';
import { parseCommandLine } from '../../chat/parse-command.js';
import type { CommandDef } from '../../config/load-project.js';
import { fillArgs, splitExtras } from '../../config/usage.js';
import { tokenize, type Token } from '../../config/usage-words.js';
import type { InputSpec, Workflow } from '../../workflow/schema.js';
import { inputOfArg, word } from './commands/typed-commands.js';
import { cut } from './format/markdown.js';

export const SECRETS_ID = 'secrets|';
const LINE_FIELD = 'line';
const SECRET_FIELD = 'secret:';
/** A modal holds 5 components: the line and 4 secrets. */
const MAX_SECRETS = 4;
/** A text input holds at most 4,000 characters. */
const MAX_TEXT = 4_000;

export interface SecretDeps {
  commands: ReadonlyMap<string, CommandDef>;
  workflows: () => ReadonlyMap<string, Workflow>;
  router: { allowedCommands(identity: string, groups: string[], channel: string): { name: string }[] };
}

interface SecretInput {
  input: string;
  spec: InputSpec;
  /** The usage argument that fills it, when one does. */
  arg?: string;
}

/** The placeholder a secret usage argument shows as in the modal's line. */
export const placeholder = (arg: string) => `{${arg}}`;

function commandOf(tokens: readonly Token[], deps: Pick<SecretDeps, 'commands' | 'workflows'>): { cmd: CommandDef; secrets: SecretInput[] } | undefined {
  const cmd = deps.commands.get(tokens[0]?.text.toLowerCase() ?? '');
  const workflow = cmd ? deps.workflows().get(cmd.workflow) : undefined;
  if (!cmd || !workflow) return undefined;
  const argOf = new Map(cmd.pattern.args.map((arg) => [inputOfArg(cmd, arg), arg]));
  const secrets = Object.entries(workflow.inputs ?? {})
    .filter(([, spec]) => spec.secret)
    .map(([input, spec]) => ({ input, spec, arg: argOf.get(input) }));
  return secrets.length > 0 ? { cmd, secrets } : undefined;
}

/** A word of a line written back as the line would hold it (quoted when it was, so it stays no literal). */
function lineWord(t: Token): string {
  if (t.assignment) return `${t.assignment.key}=${word(t.assignment.value)}`;
  const bare = word(t.text);
  return t.quoted && bare === t.text ? `"${t.text}"` : bare;
}

/**
 * The secret usage arguments a typed command fills with placeholders (the modal asks for them):
 * those the usage needs (outside `[ … ]`) or whose input is required with no default.
 */
export function secretArgs(cmd: CommandDef, workflow: Workflow | undefined): string[] {
  return cmd.pattern.args.filter((arg) => {
    const spec = workflow?.inputs?.[inputOfArg(cmd, arg)];
    return spec?.secret === true && (cmd.pattern.requiredArgs.includes(arg) || (spec.required && spec.default === undefined));
  });
}

export type SecretsAnswer = { modal: APIModalInteractionResponse } | { problem: string };

/**
 * What to answer `line` with when it runs a command wanting required secrets it does not give;
 * undefined when the router should take it as it is (none needed, all given, a usage error, or a
 * command this user may not run here: the router refuses and audits that).
 */
export function askForSecrets(line: string, user: ChatUser, channel: string, deps: SecretDeps): SecretsAnswer | undefined {
  let tokens: Token[];
  try {
    tokens = tokenize(line);
  } catch {
    return undefined;
  }
  const found = commandOf(tokens, deps);
  if (!found) return undefined;
  const { cmd, secrets } = found;
  if (!deps.router.allowedCommands(user.identity, user.groups, channel).some((c) => c.name === cmd.name)) return undefined;
  let text = line;
  const compiled = { def: cmd, pattern: cmd.pattern };
  let parsed = parseCommandLine(compiled, tokens);
  if (!parsed.ok) {
    // `/ops command:rotate for api` for `rotate {token} for {service}`: each secret argument the
    // line leaves out goes in as its placeholder, where the usage has it.
    const { words, extras } = splitExtras(tokens);
    const filled = fillArgs(cmd.pattern, words, new Set(secrets.flatMap((s) => (s.arg !== undefined ? [s.arg] : []))));
    if (!filled) return undefined;
    text = [...filled.map((f) => (f.word ? lineWord(f.word) : placeholder(f.arg))), ...extras.map(lineWord)].join(' ');
    parsed = parseCommandLine(compiled, tokenize(text));
    if (!parsed.ok) return undefined;
  }
  const inputs = parsed.inputs;
  const holdsPlaceholder = (s: SecretInput) => s.arg !== undefined && inputs[s.input] === placeholder(s.arg);
  const missing = secrets.filter((s) => inputs[s.input] === undefined || inputs[s.input] === '' || holdsPlaceholder(s));
  // Only a secret the run cannot do without opens the form: a required one with no default, or one
  // whose placeholder stands in the line. Optional ones are asked for beside them, room permitting.
  const needed = missing.filter((s) => holdsPlaceholder(s) || (s.spec.required && s.spec.default === undefined));
  if (needed.length === 0) return undefined;
  if (needed.length > MAX_SECRETS) return { problem: `${cmd.name} asks for ${needed.length} secret inputs, more than one Discord form holds (${MAX_SECRETS}); run it from the terminal (chatops run) or give some in the line.` };
  if (text.length > MAX_TEXT) return { problem: `${cmd.name}: the command line is longer than a Discord form holds (${MAX_TEXT} characters).` };
  const asked = [...needed, ...missing.filter((s) => !needed.includes(s))].slice(0, MAX_SECRETS);
  const field = (s: SecretInput) => ({
    type: ComponentType.Label as const,
    label: cut(s.input, 45),
    description: cut(s.spec.description ?? 'Secret: masked in the channel, the logs and the audit', 100),
    component: { type: ComponentType.TextInput as const, custom_id: `${SECRET_FIELD}${s.input}`, style: TextInputStyle.Short, required: needed.includes(s), max_length: MAX_TEXT },
  });
  return {
    modal: {
      type: InteractionResponseType.Modal,
      data: {
        custom_id: `${SECRETS_ID}${cmd.pattern.name}`,
        title: cut(`${cmd.name}: secret input${asked.length > 1 ? 's' : ''}`, 45),
        components: [
          {
            type: ComponentType.Label,
            label: 'Command',
            description: 'As it will run; the secrets below go in where their {names} are',
            component: { type: ComponentType.TextInput, custom_id: LINE_FIELD, style: TextInputStyle.Paragraph, value: text, required: true, max_length: MAX_TEXT },
          },
          ...asked.map(field),
        ],
      },
    },
  };
}

/** The text fields of a modal submission by custom_id (in labels, or in the older action rows). */
function fieldsOf(data: APIModalSubmission): Map<string, string> {
  const out = new Map<string, string>();
  const take = (c: { type: ComponentType; custom_id?: string; value?: unknown }) => {
    if (c.type === ComponentType.TextInput && typeof c.custom_id === 'string' && typeof c.value === 'string') out.set(c.custom_id, c.value);
  };
  for (const c of data.components) {
    if (c.type === ComponentType.Label) take(c.component as Parameters<typeof take>[0]);
    else if (c.type === ComponentType.ActionRow) for (const inner of c.components) take(inner);
  }
  return out;
}

/** The line a secrets modal's submission stands for, secrets put in; or why it cannot run. */
export function submittedLine(data: APIModalSubmission, deps: Pick<SecretDeps, 'commands' | 'workflows'>): { line: string } | { problem: string } {
  const name = data.custom_id.slice(SECRETS_ID.length);
  const fields = fieldsOf(data);
  let line = (fields.get(LINE_FIELD) ?? '').trim();
  let tokens: Token[];
  try {
    tokens = tokenize(line);
  } catch {
    return { problem: 'The command line has an unclosed quote.' };
  }
  const found = commandOf(tokens, deps);
  // The secrets were asked for this command: they never go to another one (where they might not be secret).
  if (!found || found.cmd.pattern.name !== name) return { problem: `The form was for ${name}, but the command line now runs something else: run the command again.` };
  for (const s of found.secrets) {
    const value = fields.get(`${SECRET_FIELD}${s.input}`) ?? '';
    // The router masks a secret in the line it stores by finding it there: it must appear whole.
    if (!word(value).includes(value)) return { problem: `${s.input} holds every kind of closing quote (" ' ” ’), which a command line cannot carry whole: change the secret, or run it from the terminal.` };
    const at = s.arg !== undefined ? new RegExp(`(^|\\s)\\{${s.arg}\\}(?=\\s|$)`) : undefined;
    if (at?.test(line)) {
      if (value === '') return { problem: `${s.input} is required (the line has {${s.arg}}).` };
      line = line.replace(at, (_, before: string) => `${before}${word(value)}`);
    } else if (value !== '') line = `${line} ${s.input}=${word(value)}`;
  }
  return { line };
}
