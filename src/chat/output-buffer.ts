/**
 * Keeps one step's output lines for its chat message and the full-log upload. Bounded: past
 * MAX_KEPT lines it keeps the first half and a sliding tail, counting what it dropped, so a
 * runaway step cannot exhaust a front's memory.
 */
import type { OutputLine } from './render-model.js';

export const MAX_KEPT = 100_000;

export class OutputBuffer {
  private readonly head: OutputLine[] = [];
  private tail: OutputLine[] = [];
  private dropped = 0;

  constructor(private readonly maxKept = MAX_KEPT) {}

  push(lines: readonly string[], stream: OutputLine['stream']): void {
    const half = Math.floor(this.maxKept / 2);
    for (const text of lines) {
      if (this.head.length < half) this.head.push({ text, stream });
      else this.tail.push({ text, stream });
    }
    if (this.tail.length > this.maxKept - half + 1000) {
      // Trim in chunks so pushing stays amortized O(1).
      const cut = this.tail.length - (this.maxKept - half);
      this.tail = this.tail.slice(cut);
      this.dropped += cut;
    }
  }

  get size(): number {
    return this.head.length + this.tail.length + this.dropped;
  }

  /** The kept lines, with one marker line where lines were dropped. */
  lines(): OutputLine[] {
    const half = Math.floor(this.maxKept / 2);
    const tail = this.tail.length > this.maxKept - half ? this.tail.slice(this.tail.length - (this.maxKept - half)) : this.tail;
    const dropped = this.dropped + (this.tail.length - tail.length);
    if (dropped === 0) return [...this.head, ...tail];
    return [...this.head, { text: `… ${dropped} lines not kept …`, stream: 'stderr' }, ...tail];
  }
}
