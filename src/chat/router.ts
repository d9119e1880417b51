/**
 * The command router: one pipeline for every platform. A normalized chat line is stripped of its
 * prefix, split into words and dispatched to a built-in or a commands/*.yaml command; the caller's
 * roles are checked against policy (fail closed, refusals audited), arguments are matched against
 * the usage and validated with the workflow's input schema, and only then is a run started.
 * Errors are short replies with a code, saying what was wrong and showing the usage.
 *
 * Acknowledge first, work after: for a run start, handleMessage does everything that needs no
 * Redis (parse, policy, input validation, choosing the run id) and returns the ack
 * (`Starting r-xxxxxx`) with an `afterAck` continuation that writes the run. The adapter sends
 * the ack, then calls afterAck; whatever goes wrong from there reaches the user as a follow-up.
 */
import type { Policy } from '../config/policy.js';
import { mayRun, rolesOf } from '../config/policy.js';
import { parseUsage } from '../config/usage.js';
import { TokenizeError, tokenize } from '../config/usage-words.js';
import { isEngineError } from '../engine/errors.js';
import { newRunId } from '../engine/ids.js';
import type { RunRecord, RunsApi, StartRunResult } from '../engine/types.js';
import type { Logger } from '../lib/logger.js';
import { validateInputs } from '../workflow/inputs.js';
import type { Workflow } from '../workflow/schema.js';
import type { AuditEntry, AuditLog } from './audit.js';
import { errorCodeOf, runBuiltin } from './builtins.js';
import type { ChatContext } from './context.js';
import { createContext } from './context.js';
import { BUILTINS, helpBuiltin, helpCommand, helpList } from './help.js';
import type { IncidentDesk } from './incident-desk.js';
import { isIncidentBuiltin, runIncidentBuiltin } from './incident-builtins.js';
import { checkIncidentRun } from './incident-run.js';
import type { CompiledCommand, RouterCommand } from './parse-command.js';
import { parseCommandLine, stripPrefix, usageHelp } from './parse-command.js';
import type { ActionClick, ChatContent, ChatMessage } from './platform.js';
import { redactLine } from './redact-line.js';
import type { OutputLimits } from './render-model.js';
import { code, errorReply, reply, text } from './replies.js';
import { closestMatches } from './suggest.js';

export interface RouterDeps {
  runs: RunsApi;
  commands: Iterable<RouterCommand>;
  policy: Policy | undefined;
  audit: AuditLog;
  log: Logger;
  /** Prefixes stripped from lines, e.g. `/ops`. Mentions are always stripped. */
  prefixes?: string[];
  /**
   * Called with a run's id just before the run is written (the front makes a reporter drive it).
   * Before, not after: a front killed between the two would otherwise leave a run that nobody
   * reports, with no thread and no final status. The reporter waits for a run it was handed that
   * does not exist yet (reporter.ts, START_GRACE_MS).
   */
  onRunStarting?: (run: Pick<RunRecord, 'id' | 'createdAt'>, ctx: ChatContext) => Promise<void>;
  now?: () => number;
  /** After this long without the run written, the user is told it is still starting; default 5 s. */
  slowStartMs?: number;
  /** How much text one reply holds on a platform, by platform name (ChatPlatform.replyLimits). */
  replyLimits?: (platform: string) => OutputLimits | undefined;
  /** Incidents: lines typed in an incident's thread are bound to it and recorded on its timeline. */
  incidents?: IncidentDesk;
}

/** Sends a follow-up to whoever typed the line (after the ack: response_url, thread, terminal). */
export type Say = (content: ChatContent) => Promise<void>;

/** What the work after the ack did. */
export interface AfterAckResult {
  /** The run that was started (or that this message had already started). */
  runId?: string;
  /** True when a run was started. */
  started?: boolean;
  /** True when the run should be watched now. */
  follow?: boolean;
}

export interface RouteResult {
  /** The answer; for a run start, the ack (`Starting r-xxxxxx`). Send these first. */
  replies: ChatContent[];
  /** The run the message started (the id the ack names) or acted on. */
  runId?: string;
  /** True when a run was started. */
  started?: boolean;
  /** True when the run should be watched now (resumed by this decision). */
  follow?: boolean;
  /**
   * Work that waits until the ack is sent: writing the run (then watch what it returns), or the
   * audit record of a refusal. Call it once, after sending `replies`. It does not throw: failures
   * (lock held, Redis down) reach the user through `say`, and a start that is slow gets a note.
   */
  afterAck?: (say: Say) => Promise<AfterAckResult>;
}

export interface Router {
  handleMessage(msg: ChatMessage): Promise<RouteResult>;
  handleClick(click: ActionClick): Promise<RouteResult>;
  /** Command names this user may run in this channel (for help and completion). */
  allowedCommands(identity: string, groups: string[], channel: string): RouterCommand[];
  /** The roles policy gives this user; empty with a policy means they may only ask for help. */
  rolesOf(identity: string, groups: string[]): string[];
  /** Whether a policy file is in force. */
  readonly hasPolicy: boolean;
}

export function createRouter(deps: RouterDeps): Router {
  const now = deps.now ?? Date.now;
  const prefixes = deps.prefixes ?? ['/ops'];
  const commands = new Map<string, CompiledCommand>();
  for (const def of deps.commands) {
    try {
      const pattern = parseUsage(def.usage);
      commands.set(pattern.name, { def, pattern });
    } catch (err) {
      // `chatops validate` reports bad usages with file:line:col; here the command is left out.
      deps.log.error({ command: def.name, err }, 'command left out: bad usage pattern');
    }
  }
  const defs = () => [...commands.values()].map((c) => c.def);
  const builtinDeps = { runs: deps.runs, policy: deps.policy, commands: defs, audit: deps.audit, now, replyLimits: deps.replyLimits, incidents: deps.incidents };

  const allowed = (roles: string[], channel: string) => defs().filter((d) => mayRun(deps.policy, { command: d.name, roles, channel }));

  /** The audit record of a refusal, written after the ack; a failure to write it is logged. */
  async function recordDenial(ctx: ChatContext, entry: AuditEntry): Promise<AfterAckResult> {
    try {
      await deps.audit.record(entry);
    } catch (err) {
      ctx.log.error({ err, command: entry.command }, 'could not record a refusal in the audit log');
    }
    return {};
  }

  function startCommand(cmd: CompiledCommand, tokens: ReturnType<typeof tokenize>, ctx: ChatContext, typed: string, msg: ChatMessage): RouteResult {
    // What is stored (audit, the run's trigger) never holds a secret input's value.
    const line = redactLine(typed, cmd, tokens, deps.runs.workflows().get(cmd.def.workflow));
    if (!mayRun(deps.policy, { command: cmd.def.name, roles: ctx.roles, channel: ctx.channel })) {
      ctx.log.warn({ command: cmd.def.name, roles: ctx.roles }, 'command refused by policy');
      return {
        afterAck: () => recordDenial(ctx, { type: 'denied', who: ctx.user.identity, platform: ctx.platform, channel: ctx.channel, command: cmd.def.name, text: line }),
        replies: [
          reply('denied', `You may not run ${cmd.def.name} here`, [text(`${ctx.user.identity} holds ${ctx.roles.length > 0 ? `roles ${ctx.roles.join(', ')}` : 'no role'}; no rule in policy.yaml lets them run ${cmd.def.name} in ${ctx.channel}. The refusal was recorded.`)], { code: 'E_DENIED' }),
        ],
      };
    }
    const parsed = parseCommandLine(cmd, tokens);
    if (!parsed.ok) return { replies: [parsed.reply] };
    const workflow: Workflow | undefined = deps.runs.workflows().get(cmd.def.workflow);
    if (!workflow) {
      ctx.log.error({ workflow: cmd.def.workflow }, 'command points at a missing workflow');
      return { replies: [errorReply('E_NO_WORKFLOW', `${cmd.def.name}: its workflow ${cmd.def.workflow} is not loaded`, [text('Run `chatops validate` to see why.')])] };
    }
    const checked = validateInputs(workflow, parsed.inputs);
    if (!checked.ok) {
      const lines = checked.errors.map((e) => {
        const arg = parsed.argOfInput[e.input];
        const spec = workflow.inputs[e.input];
        // validateInputs already says what it expected for a bad value; a missing one gets the spec.
        const missing = spec !== undefined && e.message.includes('missing');
        const expected = missing
          ? ` (expected ${spec.type}${spec.options ? `: ${spec.options.join(' | ')}` : ''}${spec.pattern ? ` matching ${spec.pattern}` : ''}${spec.description ? ` — ${spec.description}` : ''})`
          : '';
        return `${arg !== undefined && arg !== e.input ? `{${arg}} → ` : ''}${e.input}: ${e.message}${expected}`;
      });
      return { replies: [errorReply('E_INVALID_INPUT', `${cmd.def.name}: ${lines[0] ?? 'invalid input'}`, [...lines.slice(1).map(text), ...usageHelp(cmd.def)])] };
    }
    return launch(cmd.def.name, workflow, checked.values, ctx, line, msg);
  }

  /** The ack of a run start that passed every check; the run is written after it (afterAck). */
  function launch(name: string, workflow: Workflow, inputs: Record<string, unknown>, ctx: ChatContext, line: string, msg: ChatMessage, alert?: Record<string, unknown>): RouteResult {
    const runId = newRunId();
    const start = {
      workflow: workflow.name,
      inputs,
      trigger: { kind: 'chat' as const, source: ctx.platform, requester: ctx.user.identity, channel: ctx.channel, text: line },
      idempotencyKey: msg.messageId !== undefined ? `${ctx.platform}:${msg.messageId}` : undefined,
      ...(alert ? { alert } : {}),
    };
    const ack = reply('info', `Starting ${runId}: its messages follow here.`, [], { ephemeral: true });
    return { replies: [ack], runId, afterAck: (say) => startRun(name, ctx.withRun(runId), start, runId, line, say) };
  }

  /** `run [INCIDENT] RUNBOOK` (an incident's runbook button): checked, then started bound to the incident. */
  async function incidentRun(args: string[], ctx: ChatContext, line: string, msg: ChatMessage): Promise<RouteResult> {
    const checked = await checkIncidentRun(args, ctx, builtinDeps);
    if (!checked.ok) {
      if (!checked.denied) return { replies: checked.replies };
      const { incidentId } = checked.denied;
      return { replies: checked.replies, afterAck: () => recordDenial(ctx, { type: 'denied', who: ctx.user.identity, platform: ctx.platform, channel: ctx.channel, command: 'run', text: line, incidentId }) };
    }
    const { incidentId, workflow, inputs, alert } = checked.start;
    // Given by id outside the incident's thread: the run is still the incident's (its timeline, its thread).
    const bound = ctx.incidentId === incidentId ? ctx : createContext(msg, ctx.roles, deps.log, incidentId);
    return launch('run', workflow, inputs, bound, line, msg, alert);
  }

  /** Writes the run the ack announced, and tells the user when that is slow or fails. */
  async function startRun(name: string, ctx: ChatContext, req: Omit<Parameters<RunsApi['startRun']>[0], 'runId'>, runId: string, line: string, say: Say): Promise<AfterAckResult> {
    const safeSay = (c: ChatContent) => say(c).catch((err: unknown) => ctx.log.error({ err }, 'could not send a follow-up about a run start'));
    // Redis down: the write waits for it (it is never dropped); the user hears why it is quiet.
    const slow = setTimeout(() => {
      void safeSay(reply('info', `Still starting ${runId}…`, [text(`Redis is slow to answer or unreachable. The run starts as soon as it answers and you will be told if it cannot; \`status ${runId}\` shows it once it exists.`)], { ephemeral: true }));
    }, deps.slowStartMs ?? 5_000);
    try {
      // Started in an incident's thread: its expressions see the group's alert and incident, as an alert-started run's do.
      const alert = req.alert ?? (ctx.incidentId !== undefined ? await deps.incidents?.alertContext(ctx.incidentId) : undefined);
      let result: StartRunResult | undefined;
      let id = runId;
      let trackError: unknown;
      const report = async (runId: string) => {
        try {
          await deps.onRunStarting?.({ id: runId, createdAt: Date.now() }, ctx.withRun(runId));
        } catch (err) {
          trackError = err;
        }
      };
      await report(id);
      // The ack named an id nobody held a moment ago; in the rare case another run took it since, use a fresh one.
      for (let tries = 0; result === undefined; tries++) {
        try {
          result = await deps.runs.startRun({ ...req, ...(alert ? { alert } : {}), runId: id });
        } catch (err) {
          if (!isEngineError(err, 'RUN_ID_TAKEN') || tries >= 3) throw err;
          id = newRunId();
          await report(id);
        }
      }
      const { run, existing } = result;
      const rctx = run.id === runId ? ctx : ctx.withRun(run.id);
      rctx.log.info({ command: name, workflow: run.workflow, existing }, 'run started from chat');
      if (existing) {
        await safeSay(reply('info', `This message already started ${run.id}; it is under way.`, [], { ephemeral: true }));
        return { runId: run.id, started: false, follow: true };
      }
      if (run.id !== runId) await safeSay(reply('info', `${runId} was taken: the run started as ${run.id} instead.`, [], { ephemeral: true }));
      await deps.audit.record({ type: 'started', who: ctx.user.identity, platform: ctx.platform, channel: ctx.channel, command: name, text: line, runId: run.id }).catch((err: unknown) => {
        rctx.log.error({ err }, 'could not record a run start in the audit log');
      });
      if (ctx.incidentId !== undefined && deps.incidents) {
        await deps.incidents.bindRun(ctx.incidentId, run.id, run.workflow, ctx.user.identity).catch((err: unknown) => rctx.log.error({ err }, 'could not put the run on its incident timeline'));
      }
      if (trackError !== undefined) {
        // The run is under way; only its messages may be missing here: say so, not "could not start".
        rctx.log.error({ err: trackError }, 'could not hand the started run to the reporters');
        await safeSay(errorReply(errorCodeOf(trackError), `${run.id} started, but its messages may not appear here`, [text(`\`status ${run.id}\` shows how it goes.`)]));
      }
      return { runId: run.id, started: true, follow: true };
    } catch (err) {
      ctx.log.error({ err }, 'starting the run failed');
      await safeSay(errorReply(errorCodeOf(err), `${name}: ${runId} could not start: ${err instanceof Error ? err.message : String(err)}`));
      return {};
    } finally {
      clearTimeout(slow);
    }
  }

  /** The incident whose thread the line was typed in (a lookup only for lines typed in a thread). */
  async function incidentOf(msg: ChatMessage): Promise<string | undefined> {
    if (!deps.incidents || msg.thread === undefined) return undefined;
    try {
      return await deps.incidents.incidentOfThread(msg.platform, msg.channel, msg.thread);
    } catch (err) {
      deps.log.warn({ err }, 'could not tell whether a thread is an incident; treated as a plain thread');
      return undefined;
    }
  }

  /** Puts the line on the incident's timeline (secret inputs already `***`); never fails the command. */
  async function noteCommand(ctx: ChatContext, tokens: ReturnType<typeof tokenize>, line: string): Promise<void> {
    if (!deps.incidents || ctx.incidentId === undefined) return;
    const cmd = commands.get(tokens[0]?.text.toLowerCase() ?? '');
    const stored = cmd ? redactLine(line, cmd, tokens, deps.runs.workflows().get(cmd.def.workflow)) : line;
    await deps.incidents.noteCommand(ctx.incidentId, ctx.user.identity, stored).catch((err: unknown) => ctx.log.warn({ err }, 'could not put a command on the incident timeline'));
  }

  async function handleMessage(msg: ChatMessage): Promise<RouteResult> {
    const roles = rolesOf(deps.policy, msg.user.identity, msg.user.groups);
    const ctx = createContext(msg, roles, deps.log, await incidentOf(msg));
    const line = stripPrefix(msg.text, prefixes);
    let tokens;
    try {
      tokens = tokenize(line);
    } catch (err) {
      if (err instanceof TokenizeError) return { replies: [errorReply(err.code, err.message, [text('Close the quote, or escape it with \\.')])] };
      throw err;
    }
    if (tokens.length > 0) await noteCommand(ctx, tokens, line);
    const first = tokens[0];
    if (!first) return { replies: [helpList(allowed(roles, ctx.channel), deps.policy === undefined || roles.length > 0)] };
    const word = first.text.toLowerCase();
    try {
      if (word === 'help') {
        const topic = tokens[1]?.text.toLowerCase();
        if (topic === undefined) return { replies: [helpList(allowed(roles, ctx.channel), deps.policy === undefined || roles.length > 0)] };
        const cmd = commands.get(topic);
        if (cmd && mayRun(deps.policy, { command: cmd.def.name, roles, channel: ctx.channel })) return { replies: [helpCommand(cmd.def, deps.runs.workflows().get(cmd.def.workflow))] };
        const b = helpBuiltin(topic);
        if (b) return { replies: [b] };
        return { replies: [unknown(topic, roles, ctx.channel)] };
      }
      if (BUILTINS.includes(word) && deps.policy !== undefined && roles.length === 0) {
        // Fail closed: someone policy gives no role may ask for help, nothing else.
        ctx.log.warn({ command: word }, 'built-in refused: caller holds no role');
        return {
          replies: [reply('denied', `You may not use ${word}`, [text(`${ctx.user.identity} holds no role in policy.yaml. The refusal was recorded.`)], { code: 'E_DENIED' })],
          afterAck: () => recordDenial(ctx, { type: 'denied', who: ctx.user.identity, platform: ctx.platform, channel: ctx.channel, command: word, text: line }),
        };
      }
      const args = tokens.slice(1).map((t) => t.text);
      if (word === 'run') return await incidentRun(args, ctx, line, msg);
      if (BUILTINS.includes(word) && isIncidentBuiltin(word, args, ctx)) return await runIncidentBuiltin(word, args, ctx, builtinDeps, line);
      if (BUILTINS.includes(word)) {
        const r = await runBuiltin(word, tokens.slice(1).map((t) => t.text), ctx, builtinDeps, line);
        return r;
      }
      const cmd = commands.get(word);
      if (!cmd) {
        ctx.log.info({ word }, 'unknown command');
        return { replies: [unknown(word, roles, ctx.channel)] };
      }
      return startCommand(cmd, tokens, ctx, line, msg);
    } catch (err) {
      ctx.log.error({ err }, 'handling a chat message failed');
      return { replies: [errorReply(errorCodeOf(err), err instanceof Error ? err.message : String(err))] };
    }
  }

  function unknown(word: string, roles: string[], channel: string): ChatContent {
    const names = [...allowed(roles, channel).map((d) => d.name), ...BUILTINS];
    const near = closestMatches(word, names);
    return errorReply('E_UNKNOWN_COMMAND', `unknown command "${word}"`, [
      text(near.length > 0 ? `Did you mean: ${near.join(', ')}?` : 'Type `help` for the commands you can run here.'),
      ...(near.length > 0 ? [code(near.map((n) => commands.get(n)?.def.usage ?? n).join('\n'))] : []),
    ]);
  }

  async function handleClick(click: ActionClick): Promise<RouteResult> {
    const roles = rolesOf(deps.policy, click.user.identity, click.user.groups);
    const ctx = createContext(click, roles, deps.log);
    if (deps.policy !== undefined && roles.length === 0) {
      await deps.audit.record({ type: 'denied', who: ctx.user.identity, platform: ctx.platform, channel: ctx.channel, command: click.action, runId: click.runId });
      return { replies: [reply('denied', `You may not ${click.action} ${click.runId}`, [text(`${ctx.user.identity} holds no role in policy.yaml.`)], { code: 'E_DENIED' })] };
    }
    try {
      return await runBuiltin(click.action, [click.runId, click.stepId], ctx, builtinDeps, `${click.action} ${click.runId} ${click.stepId}`);
    } catch (err) {
      ctx.log.error({ err }, 'handling a click failed');
      return { replies: [errorReply(errorCodeOf(err), err instanceof Error ? err.message : String(err))] };
    }
  }

  return {
    handleMessage,
    handleClick,
    allowedCommands: (identity, groups, channel) => allowed(rolesOf(deps.policy, identity, groups), channel),
    rolesOf: (identity, groups) => rolesOf(deps.policy, identity, groups),
    hasPolicy: deps.policy !== undefined,
  };
}
