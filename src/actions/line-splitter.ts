/**
 * Turns a byte stream (a child's stdout or stderr) into lines for chat, in bounded memory.
 *
 * - Lines end at `\n`; a trailing `\r` is dropped (CRLF). A `\r` inside a line (progress bars)
 *   keeps only what a terminal would show last: the text after the last non-empty `\r` segment.
 * - A line longer than `maxLineBytes` is cut there and marked; the rest of it, up to its newline,
 *   is dropped, so one endless line cannot grow memory.
 * - Bytes are decoded as UTF-8 with replacement characters; ANSI colour/cursor sequences are
 *   removed and other control characters (except tab) become U+FFFD, so binary junk cannot
 *   break a chat message or a terminal.
 * - The last line is emitted on end() even without a newline.
 * - Given a `budget` whose full() turns true (the engine keeps no more of this step's output), the
 *   splitter stops decoding from the next chunk that starts a line: it only counts newlines and
 *   bytes and reports them through budget.skipped(), so a step printing gigabytes past its budget
 *   costs the worker a memchr per line, not a string per line.
 */
import type { OutputBudgetSink } from './types.js';

/**
 * The engine masks each line, then clips it to OUTPUT_LINE_MAX_CHARS (4,000; output-buffer.ts).
 * This cut, made before masking, is far beyond that clip (64 KiB is at least 16,384 characters),
 * so a secret straddling it would have to be over 12,000 characters long to begin before the
 * clip: any shorter one is dropped whole with the rest of the line, never shown in part.
 */
export const DEFAULT_MAX_LINE_BYTES = 64 * 1024;
export const TRUNCATED_MARKER = ' …[line truncated]';

// CSI (ESC [ … final) and OSC (ESC ] … BEL or ESC \) sequences, then lone two-byte ESC sequences.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const ANSI = /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]/g;
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\x00-\x08\x0b-\x1f\x7f]/g;

export function cleanLine(raw: string): string {
  let line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
  if (line.includes('\r')) {
    const segments = line.split('\r').filter((s) => s.length > 0);
    line = segments[segments.length - 1] ?? '';
  }
  if (line.includes('\x1b')) line = line.replace(ANSI, '');
  return line.replace(CONTROL, '\uFFFD');
}

export class LineSplitter {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** True while dropping the rest of an over-long line until its newline. */
  private discarding = false;
  private lineCount = 0;
  /** True once the budget is full: chunks are only counted. */
  private skipping = false;
  /** While skipping: the last chunk did not end with a newline (a line is still going). */
  private skippingMidLine = false;

  constructor(
    private readonly emit: (line: string) => void,
    private readonly maxLineBytes = DEFAULT_MAX_LINE_BYTES,
    private readonly budget?: OutputBudgetSink,
  ) {}

  /** Number of lines emitted so far. */
  get lines(): number {
    return this.lineCount;
  }

  push(chunk: Buffer): void {
    if (!this.skipping && this.budget?.full() === true) {
      const atLineStart = this.pendingBytes === 0 && !this.discarding;
      // The line in progress, if any, ends as usual; counting starts after its newline.
      const from = atLineStart ? 0 : chunk.indexOf(0x0a) + 1;
      if (atLineStart || from > 0) {
        this.split(chunk.subarray(0, from));
        this.skipping = true;
        chunk = chunk.subarray(from);
      }
    }
    if (this.skipping) this.count(chunk);
    else this.split(chunk);
  }

  private split(chunk: Buffer): void {
    let start = 0;
    while (start < chunk.length) {
      const nl = chunk.indexOf(0x0a, start);
      const end = nl === -1 ? chunk.length : nl;
      if (!this.discarding) {
        if (nl !== -1 && this.pendingBytes === 0 && end - start <= this.maxLineBytes) {
          // A whole line inside this chunk (the common case): decode it in place, no copy.
          this.emitLine(chunk.toString('utf8', start, end), false);
        } else {
          this.append(chunk.subarray(start, end));
          if (nl !== -1 && !this.discarding) this.flush(false);
        }
      }
      if (nl !== -1) this.discarding = false;
      start = end + 1;
    }
  }

  /** Counts a chunk's lines and bytes without decoding it (past the budget). */
  private count(chunk: Buffer): void {
    if (chunk.length === 0) return;
    let lines = 0;
    for (let at = chunk.indexOf(0x0a); at !== -1; at = chunk.indexOf(0x0a, at + 1)) lines += 1;
    this.skippingMidLine = chunk[chunk.length - 1] !== 0x0a;
    this.budget?.skipped(lines, chunk.length);
  }

  /** Emits the last, unterminated line if there is one. */
  end(): void {
    if (this.skipping && this.skippingMidLine) this.budget?.skipped(1, 0);
    this.skippingMidLine = false;
    if (this.pendingBytes > 0 && !this.discarding) this.flush(false);
    this.pending = [];
    this.pendingBytes = 0;
    this.discarding = false;
  }

  private append(part: Buffer): void {
    if (part.length === 0) return;
    const room = this.maxLineBytes - this.pendingBytes;
    if (part.length <= room) {
      // Copy: the chunk's memory belongs to the stream and may be pooled.
      this.pending.push(Buffer.from(part));
      this.pendingBytes += part.length;
      return;
    }
    if (room > 0) {
      this.pending.push(Buffer.from(part.subarray(0, room)));
      this.pendingBytes += room;
    }
    this.flush(true);
    this.discarding = true;
  }

  private flush(truncated: boolean): void {
    const bytes = Buffer.concat(this.pending, this.pendingBytes);
    this.pending = [];
    this.pendingBytes = 0;
    this.emitLine(bytes.toString('utf8'), truncated);
  }

  private emitLine(raw: string, truncated: boolean): void {
    const text = cleanLine(raw);
    this.lineCount += 1;
    this.emit(truncated ? text + TRUNCATED_MARKER : text);
  }
}
