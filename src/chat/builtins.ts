/**
 * The built-in commands that steer and inspect runs: runs, status, cancel, approve, deny,
 * transcript. A run is seen (status, transcript, cancel) only in the channel where it lives, by
 * its requester, or by someone policy lets run its workflow here; anyone else gets the answer an
 * unknown id gets, so a run in a private channel does not leak, not even that it exists.
 * Cancelling is for the requester or whoever may run the command behind the run; approving is
 * checked by the engine against the approval's roles (the requester never approves their own run).
 */
import type { Policy } from '../config/policy.js';
import { mayRun, principalOf } from '../config/policy.js';
import type { RunRecord, RunsApi } from '../engine/types.js';
import type { AuditLog } from './audit.js';
import type { ChatContext } from './context.js';
import type { IncidentDesk } from './incident-desk.js';
import type { RouterCommand } from './parse-command.js';
import type { ChatContent } from './platform.js';
import { buildRunView, type OutputLimits } from './render-model.js';
import { code, errorReply, list, reply, text, textReply } from './replies.js';
import { BUILTIN_USAGE } from './help.js';

export interface BuiltinDeps {
  runs: RunsApi;
  policy: Policy | undefined;
  commands: () => Iterable<RouterCommand>;
  audit: AuditLog;
  now: () => number;
  /** How much text one reply holds on a platform (ChatPlatform.replyLimits); none: any length. */
  replyLimits?: (platform: string) => OutputLimits | undefined;
  /** Incidents (threads, postmortems); none: the incident built-ins say they are not available. */
  incidents?: IncidentDesk;
}

export interface BuiltinResult {
  replies: ChatContent[];
  runId?: string;
  /** The run the caller will want to watch (it resumed after an approval). */
  follow?: boolean;
}

export function errorCodeOf(err: unknown): string {
  const c = (err as { code?: unknown } | null)?.code;
  return typeof c === 'string' && /^[A-Z][A-Z0-9_]+$/.test(c) ? c : 'E_ENGINE';
}

function missingRun(name: string): BuiltinResult {
  const usage = BUILTIN_USAGE[name]?.usage ?? name;
  return { replies: [errorReply('E_USAGE', `${name}: missing RUN (the run id, e.g. r-1a2b3c)`, [code(`usage: ${usage}`), text('`runs` lists recent runs here.')])] };
}

function unknownRun(runId: string): ChatContent {
  return errorReply('E_UNKNOWN_RUN', `no run ${runId}`, [text('Check the id; `runs` lists recent runs in this channel.')]);
}

/** The built-ins that show or end a run, and so answer only to those who may see it (maySee). */
const GUARDED = new Set(['status', 'transcript', 'cancel']);

function isRequester(deps: BuiltinDeps, ctx: ChatContext, run: RunRecord): boolean {
  return principalOf(deps.policy, run.trigger.requester) === principalOf(deps.policy, ctx.user.identity);
}

/** Whether policy lets ctx run one of the commands that start `workflow`, here. */
function mayRunWorkflow(deps: BuiltinDeps, ctx: ChatContext, workflow: string): boolean {
  if (deps.policy === undefined) return true;
  for (const c of deps.commands()) if (c.workflow === workflow && mayRun(deps.policy, { command: c.name, roles: ctx.roles, channel: ctx.channel })) return true;
  return false;
}

function maySee(deps: BuiltinDeps, ctx: ChatContext, run: RunRecord): boolean {
  return (run.trigger.channel !== undefined && run.trigger.channel === ctx.channel) || isRequester(deps, ctx, run) || mayRunWorkflow(deps, ctx, run.workflow);
}

export function ago(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.round(s / 60)}m ago`;
  return `${Math.round(s / 3600)}h ago`;
}

function mayCancel(deps: BuiltinDeps, ctx: ChatContext, run: RunRecord): boolean {
  return isRequester(deps, ctx, run) || mayRun(deps.policy, { command: 'cancel', roles: ctx.roles, channel: ctx.channel }) || mayRunWorkflow(deps, ctx, run.workflow);
}

export async function runBuiltin(name: string, args: string[], ctx: ChatContext, deps: BuiltinDeps, line: string): Promise<BuiltinResult> {
  if (name === 'runs') {
    const runs = await deps.runs.listRuns({ channel: ctx.channel, limit: 10 });
    if (runs.length === 0) return { replies: [reply('info', 'No runs in this channel yet', [], { ephemeral: true })] };
    const now = deps.now();
    return {
      replies: [reply('info', 'Recent runs', [list(runs.map((r) => `${r.id}  ${r.workflow}  ${r.state}  by ${r.trigger.requester}  ${ago(now - r.createdAt)}`))], { ephemeral: true })],
    };
  }
  const runId = args[0];
  if (runId === undefined) return missingRun(name);
  const run = await deps.runs.getRun(runId);
  if (run === null) return { replies: [unknownRun(runId)] };
  const rctx = ctx.withRun(run.id);
  if (GUARDED.has(name) && !maySee(deps, ctx, run)) {
    rctx.log.warn({ command: name, runChannel: run.trigger.channel }, 'run asked for outside its channel by someone who may not run its workflow here: answered as unknown');
    await deps.audit.record({ type: 'denied', who: ctx.user.identity, platform: ctx.platform, channel: ctx.channel, command: name, text: line, runId: run.id, detail: 'run not visible here' });
    return { replies: [unknownRun(runId)] };
  }
  switch (name) {
    case 'status':
      return { replies: [{ kind: 'run', view: buildRunView(run, deps.now()) }], runId: run.id };
    case 'transcript': {
      // Too long for one message here: a note, with the whole Markdown attached (a file on Slack).
      const file = { filename: `${run.id}-transcript.md`, title: `transcript of ${run.id}`, text: await deps.runs.transcript(run.id) };
      return { replies: [textReply(`transcript of ${run.id}`, file, deps.replyLimits?.(ctx.platform))], runId: run.id };
    }
    case 'cancel': {
      if (!mayCancel(deps, ctx, run)) {
        await deps.audit.record({ type: 'denied', who: ctx.user.identity, platform: ctx.platform, channel: ctx.channel, command: 'cancel', text: line, runId: run.id });
        rctx.log.warn('cancel refused by policy');
        return { replies: [reply('denied', `You may not cancel ${run.id}`, [text('Only the requester, or someone who may run its command here, may cancel it.')], { code: 'E_DENIED' })] };
      }
      const after = await deps.runs.cancel(run.id, ctx.user.identity);
      await deps.audit.record({ type: 'cancelled', who: ctx.user.identity, platform: ctx.platform, channel: ctx.channel, command: 'cancel', text: line, runId: run.id });
      rctx.log.info({ state: after.state }, 'run cancel requested');
      return { replies: [reply('success', `Cancelling ${run.id}`, [text(`state: ${after.state}`)], { ephemeral: false })], runId: run.id };
    }
    case 'approve':
    case 'deny': {
      const result = await deps.runs.decide({ runId: run.id, stepId: args[1], user: ctx.user.identity, roles: ctx.roles, decision: name });
      await deps.audit.record({
        type: 'decided',
        who: ctx.user.identity,
        platform: ctx.platform,
        channel: ctx.channel,
        command: name,
        runId: run.id,
        detail: result.counted ? 'counted' : `not counted: ${result.reason ?? ''}`,
      });
      rctx.log.info({ decision: name, counted: result.counted, reason: result.reason }, 'approval decision');
      if (!result.counted) {
        return {
          replies: [reply('denied', `Your ${name === 'approve' ? 'approval' : 'denial'} of ${run.id} was not counted`, [text(result.reason ?? 'refused')], { code: 'E_APPROVAL_REFUSED' })],
          runId: run.id,
        };
      }
      const approvals = result.approval.decisions.filter((d) => d.counted && d.decision === 'approve').length;
      const outcome = result.approval.outcome;
      const title =
        name === 'deny'
          ? `${ctx.user.identity} denied ${run.id}`
          : `${ctx.user.identity} approved ${run.id} (${approvals} of ${result.approval.minApprovers})${outcome === 'approved' ? ': resuming' : ''}`;
      return { replies: [reply(name === 'deny' ? 'info' : 'success', title, [], { ephemeral: false })], runId: run.id, follow: outcome !== undefined };
    }
    default:
      return { replies: [errorReply('E_UNKNOWN_COMMAND', `unknown built-in ${name}`)] };
  }
}
