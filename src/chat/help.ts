/** `help` and `help CMD` replies: what the caller may run here, and how to use one command. */
import type { BuiltinCommandName } from '../config/command-schema.js';
import type { Workflow } from '../workflow/schema.js';
import type { RouterCommand } from './parse-command.js';
import type { ChatContent, ReplyBlock } from './platform.js';
import { code, fields, list, reply, text } from './replies.js';

interface BuiltinUsage {
  usage: string;
  description: string;
}

/** Every built-in, exactly (`satisfies`): config/command-schema.ts refuses command files of these names. */
export const BUILTIN_USAGE: Record<string, BuiltinUsage> = {
  help: { usage: 'help [COMMAND]', description: 'list the commands you may run here, or explain one' },
  runs: { usage: 'runs', description: 'recent runs in this channel' },
  status: { usage: 'status RUN|INCIDENT', description: "the state of a run and its steps; in an incident's thread, its alerts and runs" },
  cancel: { usage: 'cancel RUN', description: 'cancel a run' },
  approve: { usage: 'approve RUN [STEP]', description: 'approve the approval step a run waits on' },
  deny: { usage: 'deny RUN [STEP]', description: 'deny the approval step a run waits on' },
  transcript: { usage: 'transcript RUN', description: 'the Markdown timeline of a run' },
  postmortem: { usage: 'postmortem [INCIDENT]', description: "an incident's postmortem draft in Markdown (in its thread: that incident)" },
  incidents: { usage: 'incidents', description: 'open incidents in this channel, their age and who handles them' },
  ack: { usage: 'ack [INCIDENT]', description: 'acknowledge an incident: you handle it' },
  silence: { usage: 'silence [INCIDENT] 1h|4h', description: "silence an incident's alerts in Alertmanager for a while" },
  unsilence: { usage: 'unsilence [INCIDENT]', description: 'end the silence set from chat' },
  resolve: { usage: 'resolve [INCIDENT] WHY…', description: 'resolve an incident by hand (generic and PagerDuty alerts), saying why' },
  run: { usage: 'run [INCIDENT] RUNBOOK', description: "start a runbook the incident offers (a workflow whose on.alert says start: manual); it reports in the incident's thread" },
} satisfies Record<BuiltinCommandName, BuiltinUsage>;

export const BUILTINS = Object.keys(BUILTIN_USAGE);

/** `builtins: false` for callers who hold no role: they may only ask for help. */
export function helpList(commands: RouterCommand[], builtins = true): ChatContent {
  const blocks: ReplyBlock[] = [];
  if (commands.length === 0) blocks.push(text('No command is open to you in this channel (policy.yaml decides who may run what where).'));
  else blocks.push(list(commands.map((c) => `${c.usage}${c.description ? ` — ${c.description}` : ''}`)));
  if (builtins) {
    blocks.push(text('Built-in:'));
    blocks.push(list(Object.values(BUILTIN_USAGE).map((b) => `${b.usage} — ${b.description}`)));
  }
  blocks.push(text('Type `help COMMAND` for its inputs and examples.'));
  return reply('info', 'Commands you can run here', blocks, { ephemeral: true });
}

function describeInput(name: string, spec: Workflow['inputs'][string]): string {
  const facts: string[] = [spec.type];
  if (spec.required && spec.default === undefined) facts.push('required');
  if (spec.default !== undefined) facts.push(`default ${String(spec.default)}`);
  if (spec.options) facts.push(`one of ${spec.options.join(' | ')}`);
  if (spec.pattern) facts.push(`matching ${spec.pattern}`);
  if (spec.secret) facts.push('secret');
  return `${name} (${facts.join(', ')})${spec.description ? ` — ${spec.description}` : ''}`;
}

export function helpCommand(cmd: RouterCommand, workflow: Workflow | undefined): ChatContent {
  const blocks: ReplyBlock[] = [code(`${cmd.usage}  [key=value …]`)];
  if (cmd.description) blocks.push(text(cmd.description));
  blocks.push(fields([{ label: 'workflow', value: `${cmd.workflow}${workflow?.description ? ` — ${workflow.description}` : ''}` }]));
  const inputs = Object.entries(workflow?.inputs ?? {});
  if (inputs.length > 0) {
    blocks.push(text('Inputs:'));
    blocks.push(list(inputs.map(([n, s]) => describeInput(n, s))));
  }
  if (cmd.examples.length > 0) {
    blocks.push(text('Examples:'));
    blocks.push(code(cmd.examples.join('\n')));
  }
  return reply('info', `help: ${cmd.name}`, blocks, { ephemeral: true });
}

export function helpBuiltin(name: string): ChatContent | undefined {
  const b = BUILTIN_USAGE[name];
  return b ? reply('info', `help: ${name}`, [code(b.usage), text(b.description)], { ephemeral: true }) : undefined;
}
