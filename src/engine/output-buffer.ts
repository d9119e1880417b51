/**
 * A step's output on its way to the run's event stream: each line masked as it arrives, then
 * batched (up to 500 lines, 64 KiB or 50 ms per `step.output` event) so 100,000 lines cost a few
 * hundred XADDs, not 100,000. Writes are chained so batches land in order; head and tail are kept
 * for the step record (the transcript survives stream trimming).
 *
 * Bounded in bytes, not only in entries. A step keeps at most `stepBytes` of output in Redis
 * (a line costs its masked UTF-8 bytes plus its newline) and a run, all its steps together, at
 * most `runBytes` (charged atomically by the appendEvent script, so steps on several workers
 * share it). Past either budget the output is cut at a line boundary, after masking, so no secret
 * is split by the cut: the rest is only counted, never kept anywhere, and two `[chatops]` lines
 * (not charged) say so in the stream: one where the cut is, one with the counts when the step
 * ends; the counts are also in the step record (`output.cut`). While writing, memory is bounded
 * too: push() returns a promise once more than HIGH_WATER_BYTES wait for Redis, and the shell
 * action stops reading the step's pipes until it settles.
 *
 * A run whose record vanished (Redis wiped) gets no more writes (appendEvent answers 'gone'),
 * so its stream is not re-created without expiry. Nor does an attempt that is no longer the
 * step's running one (it lost its lease and was taken over: appendEvent answers 'stale').
 */
import type { OutputStream } from '../actions/types.js';
import { formatByteSize } from '../lib/byte-size.js';
import type { Keys } from './keys.js';
import type { Scripts } from './redis-scripts.js';
import type { RunContext } from './run-context.js';
import type { OutputCut, StepRecord } from './types.js';

const BATCH_LINES = 500;
const BATCH_BYTES = 64 * 1024;
const BATCH_MS = 50;
/** A line is masked, then clipped to this many characters (so a secret across the clip is masked whole). */
export const OUTPUT_LINE_MAX_CHARS = 4000;
const KEEP = 20;
/** Bytes handed to Redis and not yet written past which push() asks the action to wait. */
const HIGH_WATER_BYTES = 256 * 1024;

/** How much output Redis keeps: per step and per run, in bytes. */
export interface OutputBudget {
  stepBytes: number;
  runBytes: number;
}

export const DEFAULT_OUTPUT_BUDGET: OutputBudget = { stepBytes: 1024 * 1024, runBytes: 8 * 1024 * 1024 };

const SETTING: Record<OutputCut['scope'], string> = { step: 'CHATOPS_STEP_OUTPUT_MAX', run: 'CHATOPS_RUN_OUTPUT_MAX' };

/** What a step's output record says about a cut, in words (stream marker, transcript). */
export function describeCut(cut: OutputCut): string {
  const whose = cut.scope === 'step' ? "the step's" : "the run's";
  return `${cut.lines.toLocaleString('en-US')} lines (${formatByteSize(cut.bytes)}) not kept: ${whose} output budget is ${formatByteSize(cut.budget)} (${SETTING[cut.scope]}); the full output was not saved anywhere`;
}

const lineBytes = (line: string) => Buffer.byteLength(line) + 1;

export class OutputBuffer {
  private lines: string[] = [];
  private batchBytes = 0;
  private stream: OutputStream = 'stdout';
  private timer: NodeJS.Timeout | undefined;
  private chain: Promise<void> = Promise.resolve();
  /** Lines written to the stream (the cut markers included). */
  private count = 0;
  /** Bytes this step has put in batches (its own budget). */
  private taken = 0;
  /** Bytes in batches not yet written. */
  private inflight = 0;
  /** Set once output is only counted: the budget spent, or the run gone. */
  private cut: OutputCut['scope'] | 'gone' | undefined;
  private dropped = { lines: 0, bytes: 0 };
  private marked = false;
  private readonly head: string[] = [];
  private tail: string[] = [];

  constructor(
    private readonly scripts: Scripts,
    private readonly keys: Keys,
    private readonly rc: RunContext,
    private readonly stepId: string,
    private readonly maxlen: number,
    private readonly budget: OutputBudget = DEFAULT_OUTPUT_BUDGET,
    /** The attempt writing; its lines are refused once it is not the step's running attempt. */
    private readonly attempt?: number,
  ) {}

  /** True once lines are only counted (ActionContext.outputBudget.full). */
  get full(): boolean {
    return this.cut !== undefined;
  }

  /** Lines an action counted without handing them over (after `full`). */
  skipped(lines: number, bytes: number): void {
    this.dropped.lines += lines;
    this.dropped.bytes += bytes;
  }

  push(line: string, stream: OutputStream): void | Promise<void> {
    if (this.cut !== undefined) return this.skipped(1, lineBytes(line));
    // Mask before clipping: a secret straddling the cut must not leave its first characters in clear.
    const masked = this.rc.masker.maskAndClip(line, OUTPUT_LINE_MAX_CHARS);
    const cost = lineBytes(masked);
    if (this.taken + cost > this.budget.stepBytes) {
      this.cutHere('step');
      return this.skipped(1, cost);
    }
    this.taken += cost;
    if (stream !== this.stream && this.lines.length > 0) this.flush();
    this.stream = stream;
    this.lines.push(masked);
    this.batchBytes += cost;
    if (this.lines.length >= BATCH_LINES || this.batchBytes >= BATCH_BYTES) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), BATCH_MS);
    // Redis is behind: the action waits (stops reading its pipes) until what is queued is written.
    if (this.inflight > HIGH_WATER_BYTES) return this.chain;
  }

  /** The step's budget is spent: what is batched goes out, then the marker; the rest is counted. */
  private cutHere(scope: OutputCut['scope']): void {
    this.flush();
    this.cut = scope;
    this.enqueue(() => this.mark(), 'could not write the output cut marker');
  }

  /** Chains a write after the ones queued; a failure is logged, and the next write still runs. */
  private enqueue(write: () => Promise<void>, what: string, settled?: () => void): void {
    this.chain = this.chain.then(write).then(settled, (err: unknown) => {
      settled?.();
      this.rc.log.error({ stepId: this.stepId, err: this.rc.masker.mask(String(err)) }, what);
    });
  }

  private flush(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.lines.length === 0) return;
    const [lines, stream, bytes] = [this.lines, this.stream, this.batchBytes];
    this.lines = [];
    this.batchBytes = 0;
    this.inflight += bytes;
    this.enqueue(() => this.write(lines, stream, bytes), 'could not write step output', () => {
      this.inflight -= bytes;
    });
  }

  /** One batch into the stream, as much of it as the run's budget takes. */
  private async write(lines: string[], stream: OutputStream, bytes: number): Promise<void> {
    let [keep, cost] = [lines, bytes];
    // The run's budget was spent by an earlier batch (or the run is gone): count, do not ask again.
    if (this.cut === 'run' || this.cut === 'gone') return this.skipped(keep.length, cost);
    for (;;) {
      const reply = await this.append(keep, stream, cost);
      if (reply[0] === 'ok') break;
      if (reply[0] === 'gone' || reply[0] === 'stale') {
        const why = reply[0] === 'gone' ? 'the run vanished from Redis (wiped or expired)' : 'this attempt is no longer the running one (taken over after its lease was lost)';
        this.rc.log.warn({ stepId: this.stepId, attempt: this.attempt }, `${why}: its step output is no longer written`);
        this.cut = 'gone';
        return this.skipped(keep.length, cost);
      }
      // Over the run's budget: keep the lines that fit, count the rest, and cut here.
      const room = Number(reply[1]);
      let [n, used] = [0, 0];
      while (n < keep.length && used + lineBytes(keep[n] ?? '') <= room) used += lineBytes(keep[n++] ?? '');
      this.skipped(keep.length - n, cost - used);
      // A step cut queued after this batch is reported as the run's: that budget ran out first.
      this.cut = 'run';
      [keep, cost] = [keep.slice(0, n), used];
      if (n === 0) break;
    }
    this.kept(keep);
    if (this.cut === 'run') await this.mark();
  }

  private async append(lines: string[], stream: OutputStream, cost: number): Promise<string[]> {
    const event = { ts: Date.now(), runId: this.rc.meta.id, type: 'step.output', step: this.stepId, lines, stream };
    const fence = this.attempt !== undefined ? [this.stepId, this.attempt] : [];
    return this.scripts.call('appendEvent', this.keys.runKeys(this.rc.meta.id), [this.maxlen, this.budget.runBytes, cost, JSON.stringify(event), ...fence]);
  }

  private kept(lines: string[]): void {
    this.count += lines.length;
    for (const line of lines) {
      if (this.head.length < KEEP) this.head.push(line);
      else {
        this.tail.push(line);
        if (this.tail.length > KEEP * 2) this.tail = this.tail.slice(-KEEP);
      }
    }
  }

  /** A `[chatops]` line in the stream, not charged to any budget. */
  private async note(text: string): Promise<void> {
    const line = `[chatops] ${text}`;
    const reply = await this.append([line], 'stderr', 0);
    if (reply[0] === 'ok') this.kept([line]);
  }

  /** Once per step, where the cut is. */
  private async mark(): Promise<void> {
    if (this.marked || this.cut === undefined || this.cut === 'gone') return;
    this.marked = true;
    const whose = this.cut === 'step' ? "the step's" : "the run's";
    await this.note(`output past this point is not kept: ${whose} output budget of ${formatByteSize(this.budgetOf(this.cut))} (${SETTING[this.cut]}) is spent; the rest is only counted`);
  }

  private budgetOf(scope: OutputCut['scope']): number {
    return scope === 'step' ? this.budget.stepBytes : this.budget.runBytes;
  }

  /** Writes what is left (and the counts of a cut) and returns the summary for the step record. */
  async close(): Promise<NonNullable<StepRecord['output']>> {
    this.flush();
    await this.chain;
    const scope = this.cut === 'gone' ? undefined : this.cut;
    const cut = scope !== undefined && this.dropped.lines > 0 ? { ...this.dropped, scope, budget: this.budgetOf(scope) } : undefined;
    if (cut) {
      this.enqueue(() => this.note(describeCut(cut)), 'could not write the output cut notice');
      await this.chain;
    }
    return { lines: this.count, head: this.head, tail: this.tail.slice(-KEEP), ...(cut ? { cut } : {}) };
  }
}
