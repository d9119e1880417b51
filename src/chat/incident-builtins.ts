/**
 * The incident built-ins, typed in an incident's thread (the incident is the thread's) or with an
 * incident id anywhere: `postmortem`, `status`, `ack`, `silence 1h|4h`, `unsilence`,
 * `resolve WHY…`, and `incidents` (the open incidents of the channel). Acknowledging, silencing
 * and resolving are checked against policy.yaml under the command names `ack`, `silence` and
 * `resolve` (fail closed: no rule, no action; refusals and the actions done are audited). The buttons on an incident's
 * message send the same lines. The work is the IncidentDesk's (alerts layer).
 */
import { mayRun } from '../config/policy.js';
import type { AuditType } from './audit.js';
import { parseDuration } from '../workflow/duration.js';
import { ago, type BuiltinDeps, type BuiltinResult } from './builtins.js';
import type { ChatContext } from './context.js';
import { formatClock } from './format-time.js';
import { BUILTIN_USAGE } from './help.js';
import type { IncidentActionResult, IncidentSummary } from './incident-desk.js';
import { code, errorReply, fields, list, reply, text, textReply } from './replies.js';

export const INCIDENT_BUILTINS = ['postmortem', 'incidents', 'ack', 'silence', 'unsilence', 'resolve'] as const;
const INCIDENT_ID = /^i-[0-9a-z]{6}$/;
/** The command name policy.yaml decides each action under. */
const POLICY_NAME: Record<string, string> = { ack: 'ack', silence: 'silence', unsilence: 'silence', resolve: 'resolve' };
const MAX_SILENCE_MS = 7 * 24 * 3_600_000;

const usage = (name: string) => code(`usage: ${BUILTIN_USAGE[name]?.usage ?? name}`);

/** The incident a built-in acts on (its first argument, else the thread's) and the arguments after it. */
function incidentArg(name: string, args: string[], ctx: ChatContext): { id: string; rest: string[] } | BuiltinResult {
  const given = args[0];
  if (given !== undefined && INCIDENT_ID.test(given)) return { id: given, rest: args.slice(1) };
  if (ctx.incidentId) return { id: ctx.incidentId, rest: args };
  return { replies: [errorReply('E_USAGE', `${name}: which incident? Type it in the incident's thread, or give its id`, [usage(name)])] };
}

function outcome(r: IncidentActionResult): BuiltinResult {
  if (!r.ok) return { replies: [errorReply(r.code, r.title, (r.lines ?? []).map(text))] };
  // The incident's thread shows the change to everyone (incident reporter): this answer is the asker's.
  return { replies: [reply('success', r.title, (r.lines ?? []).map(text), { ephemeral: true })] };
}

function summaryReply(s: IncidentSummary, now: number): BuiltinResult {
  const facts = [
    { label: 'state', value: s.state === 'resolved' ? `resolved at ${formatClock(s.resolvedAt ?? now)}` : 'firing' },
    { label: 'opened', value: `${formatClock(s.openedAt)} (${ago(now - s.openedAt)})` },
    { label: 'handled by', value: s.handledBy ?? 'nobody yet (`ack`)' },
  ];
  if (s.severity) facts.push({ label: 'severity', value: s.severity });
  if (s.silence) facts.push({ label: 'silenced', value: `until ${formatClock(s.silence.endsAt)} by ${s.silence.by} (${s.silence.id})` });
  const blocks = [fields(facts), text(`Alerts (${s.alerts.filter((a) => a.status === 'firing').length} firing):`), list(s.alerts.map((a) => `${a.status === 'firing' ? '●' : '○'} ${a.name} ${a.detail} — ${a.status}`))];
  blocks.push(s.runs.length > 0 ? list(s.runs.map((r) => `${r.runId}  ${r.workflow}  ${r.state}  by ${r.by}`)) : text('No run yet.'));
  return { replies: [reply('info', `${s.id}: ${s.title} (${s.source})`, blocks, { ephemeral: true })] };
}

/** True when `name` is an incident built-in here (`status` only where it names an incident). */
export function isIncidentBuiltin(name: string, args: string[], ctx: ChatContext): boolean {
  if ((INCIDENT_BUILTINS as readonly string[]).includes(name)) return true;
  return name === 'status' && (args[0] !== undefined ? INCIDENT_ID.test(args[0]) : ctx.incidentId !== undefined);
}

export async function runIncidentBuiltin(name: string, args: string[], ctx: ChatContext, deps: BuiltinDeps, line: string): Promise<BuiltinResult> {
  const desk = deps.incidents;
  if (!desk) return { replies: [errorReply('E_NO_INCIDENTS', `${name}: incidents are not available here`)] };
  const now = deps.now();
  if (name === 'incidents') {
    const open = await desk.openIn(ctx.platform, ctx.channel);
    if (open.length === 0) return { replies: [reply('info', 'No open incident in this channel', [], { ephemeral: true })] };
    return { replies: [reply('info', `Open incidents (${open.length})`, [list(open.map((s) => `${s.id}  ${s.title}  ${s.severity ?? ''}  open ${ago(now - s.openedAt).replace(' ago', '')}  ${s.handledBy ? `handled by ${s.handledBy}` : 'not acknowledged'}${s.silence ? '  silenced' : ''}`))], { ephemeral: true })] };
  }
  const target = incidentArg(name, args, ctx);
  if (!('id' in target)) return target;
  const { id, rest } = target;
  const policyName = POLICY_NAME[name];
  if (policyName && !mayRun(deps.policy, { command: policyName, roles: ctx.roles, channel: ctx.channel })) {
    await deps.audit.record({ type: 'denied', who: ctx.user.identity, platform: ctx.platform, channel: ctx.channel, command: name, text: line, incidentId: id });
    ctx.log.warn({ command: name, incident: id }, 'incident action refused by policy');
    return { replies: [reply('denied', `You may not ${name} ${id}`, [text(`No rule in policy.yaml lets ${ctx.user.identity} (${ctx.roles.length > 0 ? `roles ${ctx.roles.join(', ')}` : 'no role'}) ${policyName} incidents in ${ctx.channel}. The refusal was recorded.`)], { code: 'E_DENIED' })] };
  }
  /** An action that was done goes in the audit trail (one that failed changed nothing); the answer is the same. */
  const audited = async (type: AuditType, r: IncidentActionResult): Promise<BuiltinResult> => {
    if (r.ok) await deps.audit.record({ type, who: ctx.user.identity, platform: ctx.platform, channel: ctx.channel, command: name, text: line, incidentId: id });
    return outcome(r);
  };
  switch (name) {
    case 'postmortem': {
      const markdown = await desk.postmortem(id);
      if (markdown === undefined) return { replies: [errorReply('E_UNKNOWN_INCIDENT', `no incident ${id}`, [text('It may have expired, or the id is mistyped.')])] };
      const file = { filename: `${id}-postmortem.md`, title: `postmortem of ${id}`, text: markdown };
      return { replies: [textReply(`postmortem of ${id}`, file, deps.replyLimits?.(ctx.platform))] };
    }
    case 'status': {
      const s = await desk.summary(id);
      return s ? summaryReply(s, now) : { replies: [errorReply('E_UNKNOWN_INCIDENT', `no incident ${id}`)] };
    }
    case 'ack':
      return audited('acknowledged', await desk.ack(id, ctx.user.identity));
    case 'silence': {
      const ms = rest[0] !== undefined ? parseDuration(rest[0]) : undefined;
      if (ms === undefined || ms <= 0 || ms > MAX_SILENCE_MS) return { replies: [errorReply('E_USAGE', `silence: for how long? ${rest[0] !== undefined ? `${rest[0]} is not a duration up to 7d` : 'say 1h or 4h'}`, [usage(name)])] };
      return audited('silenced', await desk.silence(id, ctx.user.identity, ms));
    }
    case 'unsilence':
      return audited('unsilenced', await desk.unsilence(id, ctx.user.identity));
    case 'resolve':
      return audited('resolved', await desk.resolve(id, ctx.user.identity, rest.join(' ')));
    default:
      return { replies: [errorReply('E_UNKNOWN_COMMAND', `unknown built-in ${name}`)] };
  }
}
