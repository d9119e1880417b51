/**
 * A step's output on its way to the run's event stream: each line masked as it arrives, then
 * batched (up to 500 lines or 50 ms per `step.output` event) so 100,000 lines cost a few hundred
 * XADDs, not 100,000. Writes are chained so batches land in order; head and tail are kept for the
 * step record (the transcript survives stream trimming).
 */
import type { Redis } from 'ioredis';
import type { OutputStream } from '../actions/types.js';
import type { Keys } from './keys.js';
import type { RunContext } from './run-context.js';
import type { StepRecord } from './types.js';

const BATCH_LINES = 500;
const BATCH_MS = 50;
/** A line is masked, then clipped to this many characters (so a secret across the clip is masked whole). */
export const OUTPUT_LINE_MAX_CHARS = 4000;
const KEEP = 20;

export class OutputBuffer {
  private lines: string[] = [];
  private stream: OutputStream = 'stdout';
  private timer: NodeJS.Timeout | undefined;
  private chain: Promise<void> = Promise.resolve();
  private count = 0;
  private readonly head: string[] = [];
  private tail: string[] = [];

  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
    private readonly rc: RunContext,
    private readonly stepId: string,
    private readonly maxlen: number,
  ) {}

  push(line: string, stream: OutputStream): void {
    // Mask before clipping: a secret straddling the cut must not leave its first characters in clear.
    const masked = this.rc.masker.maskAndClip(line, OUTPUT_LINE_MAX_CHARS);
    this.count++;
    if (this.head.length < KEEP) this.head.push(masked);
    else {
      this.tail.push(masked);
      if (this.tail.length > KEEP * 2) this.tail = this.tail.slice(-KEEP);
    }
    if (stream !== this.stream && this.lines.length > 0) this.flush();
    this.stream = stream;
    this.lines.push(masked);
    if (this.lines.length >= BATCH_LINES) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), BATCH_MS);
  }

  private flush(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.lines.length === 0) return;
    const event = { ts: Date.now(), runId: this.rc.meta.id, type: 'step.output', step: this.stepId, lines: this.lines, stream: this.stream };
    this.lines = [];
    const json = JSON.stringify(event);
    this.chain = this.chain
      .then(() => this.redis.xadd(this.keys.events(this.rc.meta.id), 'MAXLEN', '~', this.maxlen, '*', 'e', json))
      .then(
        () => undefined,
        (err: unknown) => this.rc.log.error({ step: this.stepId, err: this.rc.masker.mask(String(err)) }, 'could not write step output'),
      );
  }

  /** Writes what is left and returns the summary for the step record. */
  async close(): Promise<NonNullable<StepRecord['output']>> {
    this.flush();
    await this.chain;
    return { lines: this.count, head: this.head, tail: this.tail.slice(-KEEP) };
  }
}
