/**
 * Clears a front's repair marks (P:repair, see keys.ts) in batches. Starting a run marks it for
 * repair in the same call that writes it, and the mark is cleared once the run's first jobs
 * exist. Clearing is not urgent: a mark is acted on only REPAIR_AFTER_MS after it was set, and
 * repairing a healthy run changes nothing. So the marks of runs started close together are cleared
 * by one call a few milliseconds later instead of one round trip per run. A mark is removed only
 * if it is still the one the start set (same time): one set again since by a cancel or decision
 * on the run stays. If the process dies first, or Redis refuses the call, the marks stay and
 * workers check those runs: a little work, nothing lost.
 */
import type { Logger } from '../lib/logger.js';
import type { Scripts } from './redis-scripts.js';

/** A batch is sent at this size at the latest, or after FLUSH_AFTER_MS. */
const MAX_BATCH = 500;
const FLUSH_AFTER_MS = 5;

export class RepairMarks {
  /** runId, score, runId, score, … */
  private pending: (string | number)[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly scripts: Scripts,
    private readonly key: string,
    private readonly log: Logger,
  ) {}

  /** The run's follow-up is done: its mark (set with this score) goes with the next batch. */
  clear(runId: string, score: number): void {
    this.pending.push(runId, score);
    if (this.pending.length >= 2 * MAX_BATCH) void this.flush();
    else if (this.timer === undefined) {
      this.timer = setTimeout(() => void this.flush(), FLUSH_AFTER_MS);
      this.timer.unref();
    }
  }

  /** Sends the pending batch now (also on close). Never throws. */
  async flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const marks = this.pending;
    this.pending = [];
    if (marks.length === 0) return;
    try {
      await this.scripts.call('clearMarks', [this.key], marks);
    } catch (err) {
      this.log.warn({ err: String(err), runs: marks.length / 2 }, 'could not clear repair marks; workers will check those runs');
    }
  }
}
