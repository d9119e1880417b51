/**
 * `chatops run WORKFLOW [--input k=v]… [--json] [--local]`
 *
 * Prints `run <ID>`, then the run as it happens: one line per step with a status mark and its
 * duration, the step's output indented under it, approvals and queueing as they come; a spinner
 * on the last line on a TTY, plain lines otherwise. Exit 0 succeeded, 1 failed/timed out, 130
 * cancelled, 2 usage (unknown workflow, bad inputs). Ctrl-C or SIGTERM cancels the run and waits for
 * it to end (exit 130; a second signal quits at once).
 * With --json, stdout is only the final run record (JSON) and `run <ID>` goes to stderr.
 * Steps run on `chatops worker` processes; when none is alive `run` says so. --local (and dev mode,
 * where the private Redis is reachable by nobody else) also runs steps in this process.
 */
import { openEngine, policyProblemLines, terminalIdentity } from '../engine/bootstrap.js';
import { followRun } from '../engine/follow.js';
import { isEngineError, startWorker, type WorkerHandle } from '../engine/index.js';
import type { RunEvent, StepState } from '../engine/types.js';
import { formatDuration } from '../workflow/duration.js';
import { collectAssignments } from '../workflow/input-names.js';
import { noWorkerText } from '../chat/state-words.js';
import { workflowPools } from '../workflow/schema.js';
import { EXIT } from './exit-codes.js';
import { localOwner } from './local-owner.js';
import { auditTerminal } from './terminal-audit.js';

const MARK: Record<StepState, string> = {
  pending: '·', queued: '·', running: '▶', waiting: '⏸', succeeded: '✓', failed: '✗', skipped: '↷', cancelled: '⊘', timed_out: '⏱', lost: '✗',
};
const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

export function parseInputs(pairs: string[]): Record<string, string> | string {
  const assignments: { key: string; value: string }[] = [];
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) return `--input expects key=value, got "${pair}"`;
    assignments.push({ key: pair.slice(0, eq), value: pair.slice(eq + 1) });
  }
  const collected = collectAssignments(assignments);
  return collected.ok ? collected.inputs : `--input ${collected.message}`;
}

/** Lines to stdout; on a TTY a spinner line under them showing what is running. */
class Printer {
  private readonly running = new Map<string, { name: string; since: number }>();
  private timer: NodeJS.Timeout | undefined;
  private frame = 0;
  private lastStep = '';
  constructor(
    private readonly tty: boolean,
    private readonly names: Map<string, string>,
  ) {
    if (tty) this.timer = setInterval(() => this.spin(), 100);
  }
  line(text: string): void {
    if (this.tty) process.stdout.write('\r\x1b[K');
    process.stdout.write(`${text}\n`);
    if (this.tty) this.spin();
  }
  private spin(): void {
    if (this.running.size === 0) return;
    this.frame = (this.frame + 1) % FRAMES.length;
    const now = Date.now();
    const what = [...this.running.values()].map((r) => `${r.name} ${formatDuration(now - r.since)}`).join(', ');
    process.stdout.write(`\r\x1b[K${FRAMES[this.frame]} ${what}`.slice(0, (process.stdout.columns ?? 100) + 8));
  }
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    if (this.tty) process.stdout.write('\r\x1b[K');
  }
  event(e: RunEvent): void {
    const name = (id: string) => this.names.get(id) ?? id;
    switch (e.type) {
      case 'run.queued':
        this.line(`… queued for "${e.key}" (position ${e.position}${e.holder ? `, behind run ${e.holder}` : ''})`);
        break;
      case 'step.no_worker':
        this.line(`${MARK.queued} ${name(e.step)}  ${noWorkerText(e.pool)}`);
        break;
      case 'step.started':
        this.running.set(e.step, { name: name(e.step), since: e.ts });
        if (!this.tty) this.line(`${MARK.running} ${name(e.step)}${e.attempt > 1 ? ` (attempt ${e.attempt})` : ''}`);
        this.lastStep = e.step;
        break;
      case 'step.output':
        if (this.lastStep !== e.step) this.line(`  ${name(e.step)}:`);
        this.lastStep = e.step;
        for (const l of e.lines) this.line(`    ${l}`);
        break;
      case 'step.retrying':
        this.running.delete(e.step);
        this.line(`↻ ${name(e.step)} failed, retrying as attempt ${e.attempt} in ${formatDuration(e.delayMs)}: ${e.error}`);
        break;
      case 'step.finished':
        this.running.delete(e.step);
        this.line(`${MARK[e.state]} ${name(e.step)}  ${e.state === 'succeeded' ? '' : `${e.state} `}${e.durationMs > 0 ? formatDuration(e.durationMs) : ''}`.trimEnd());
        if (e.error && e.state !== 'skipped') this.line(`    error: ${e.error}`);
        break;
      case 'approval.requested':
        this.running.delete(e.step);
        this.line(`${MARK.waiting} ${name(e.step)}  waiting for approval: ${e.approval.message}`);
        this.line(`    approve with: chatops approve ${e.runId} --as USER   (needs ${e.approval.minApprovers}${e.approval.roles.length > 0 ? ` from ${e.approval.roles.join(', ')}` : ''})`);
        break;
      case 'approval.decided':
        this.line(`    ${e.decision.user} ${e.decision.decision === 'approve' ? 'approved' : 'denied'}${e.decision.counted ? '' : ` (not counted: ${e.decision.reason ?? ''})`}${e.outcome ? ` → ${e.outcome}` : ''}`);
        break;
      case 'notify':
        this.line(`  📣 ${e.text}`);
        break;
      case 'run.cancelling':
        this.line(`cancelling (by ${e.by})…`);
        break;
      default:
        break;
    }
  }
}

export interface RunOptions {
  input: string[];
  json?: boolean;
  local?: boolean;
}

export async function runCommand(workflow: string, opts: RunOptions): Promise<number> {
  const inputs = parseInputs(opts.input);
  if (typeof inputs === 'string') {
    console.error(`chatops run: ${inputs}`);
    return EXIT.usage;
  }
  const opened = await openEngine({ defaultLogLevel: 'warn', oneShot: true });
  const { engine } = opened;
  let worker: WorkerHandle | undefined;
  try {
    if (opts.local || opened.redis.private) {
      // Steps run here whatever pool they name: this process is their only worker.
      worker = await startWorker({ ...opened.options, relayEvents: true, concurrency: 4, pools: workflowPools(opened.project.workflows.values()) });
      if (!opts.local) console.error('dev mode: running steps in this process (no other worker can reach the private Redis)');
    }
    let started;
    try {
      const text = ['chatops run', workflow, ...opts.input.map((i) => `--input ${i}`)].join(' ');
      started = await engine.startRun({ workflow, inputs, trigger: { kind: 'cli', source: 'cli', requester: terminalIdentity(opened.env), text, ...(worker ? { local: localOwner() } : {}) } });
    } catch (err) {
      if (isEngineError(err, 'POLICY_LOCKED')) {
        await auditTerminal(opened, { type: 'denied', who: terminalIdentity(opened.env), command: 'run', line: `chatops run ${workflow}`, detail: 'policy.yaml is broken: nothing may start' });
        for (const line of policyProblemLines(opened.project)) console.error(line);
        console.error(`chatops run: ${err.message}`);
        return EXIT.failed;
      }
      if (isEngineError(err) && (err.code === 'UNKNOWN_WORKFLOW' || err.code === 'INVALID_INPUTS' || err.code === 'CONCURRENCY_HELD')) {
        console.error(`chatops run: ${err.message}`);
        return err.code === 'CONCURRENCY_HELD' ? EXIT.failed : EXIT.usage;
      }
      throw err;
    }
    const run = started.run;
    // The run's trigger text, secret inputs masked (not the line as typed).
    if (!started.existing) await auditTerminal(opened, { type: 'started', who: run.trigger.requester, command: 'run', runId: run.id, line: run.trigger.text ?? `chatops run ${workflow}` });
    (opts.json ? process.stderr : process.stdout).write(`run ${run.id}${started.existing ? ' (existing)' : ''}\n`);
    if (!worker && (await engine.workerCount()) === 0) {
      console.error('no worker is running: start one with `chatops worker` (or use --local); the run waits in the queue until then');
    }
    const names = new Map(run.steps.map((s) => [s.id, s.name]));
    const printer = opts.json ? undefined : new Printer(process.stdout.isTTY === true, names);
    // Ctrl-C and SIGTERM (a closed terminal, `timeout`, a CI job cancelled, kill) both cancel the
    // run and wait for it to end, so no step goes on unwatched (with --local, nothing else would
    // ever end it); a second signal quits at once.
    let interrupts = 0;
    const onSignal = (signal: NodeJS.Signals) => {
      interrupts++;
      if (interrupts > 1) process.exit(EXIT.cancelled);
      console.error(`\n${signal === 'SIGINT' ? '' : `${signal}: `}cancelling the run (${signal === 'SIGINT' ? 'Ctrl-C' : 'a second signal'} again to quit without waiting)`);
      void engine.cancel(run.id, terminalIdentity(opened.env)).catch(() => undefined);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    try {
      const end = await followRun(engine, run.id, { onEvent: (e) => printer?.event(e) });
      printer?.stop();
      const final = await engine.getRun(run.id);
      const state = end?.state ?? final?.state ?? 'failed';
      if (opts.json) process.stdout.write(`${JSON.stringify(final, null, 2)}\n`);
      else {
        const took = end ? ` in ${formatDuration(end.durationMs)}` : '';
        printer?.line(`${state}${took}${end?.error ? `: ${end.error}` : ''}`);
        for (const [k, v] of Object.entries(end?.outputs ?? {})) printer?.line(`  ${k} = ${v}`);
      }
      return state === 'succeeded' ? EXIT.ok : state === 'cancelled' ? EXIT.cancelled : EXIT.failed;
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      printer?.stop();
    }
  } finally {
    await worker?.close();
    await opened.close();
  }
}
