/**
 * Partial-leak masking: finds every run of text made of 8-character windows of some secret, so a
 * secret printed in pieces (`${K:0:8}` then `${K:8}`) or cut into an output value is masked too.
 *
 * Each secret's 8-character windows are kept in a Set; text is scanned with a rolling hash whose
 * low bits index a small bitmap, and only a bitmap hit costs a substring and a Set lookup. So the
 * scan is one multiply-add per character, whatever the number of secrets, and the memory is a few
 * bytes per indexed window. A secret longer than MAX_INDEXED_CHARS has only its first that many
 * characters indexed (bounding memory for a mounted certificate bundle); the whole value is still
 * masked by the plain match.
 */

export const WINDOW = 8;
export const MAX_INDEXED_CHARS = 64 * 1024;
const BASE = 31;
/** BASE^(WINDOW-1) mod 2^32, to drop the character leaving the window. */
const DROP = Array.from({ length: WINDOW - 1 }).reduce<number>((p) => Math.imul(p, BASE), 1);

function hashAt(text: string, start: number): number {
  let h = 0;
  for (let i = start; i < start + WINDOW; i++) h = (Math.imul(h, BASE) + text.charCodeAt(i)) | 0;
  return h;
}

export class SecretWindows {
  private readonly windows = new Set<string>();
  private readonly bits: Uint32Array;
  private readonly bitMask: number;

  constructor(secrets: Iterable<string>) {
    for (const secret of secrets) {
      const end = Math.min(secret.length, MAX_INDEXED_CHARS);
      for (let i = 0; i + WINDOW <= end; i++) this.windows.add(secret.slice(i, i + WINDOW));
    }
    // About 32 bits per window: a false hit (a needless Set lookup) on about 3% of positions.
    let size = 1024;
    while (size < this.windows.size * 32) size *= 2;
    this.bits = new Uint32Array(size / 32);
    this.bitMask = size - 1;
    for (const w of this.windows) this.set(hashAt(w, 0));
  }

  get empty(): boolean {
    return this.windows.size === 0;
  }

  private set(h: number): void {
    const bit = h & this.bitMask;
    this.bits[bit >>> 5] = (this.bits[bit >>> 5] ?? 0) | (1 << (bit & 31));
  }

  private has(h: number): boolean {
    const bit = h & this.bitMask;
    return ((this.bits[bit >>> 5] ?? 0) & (1 << (bit & 31))) !== 0;
  }

  /** Adds to `into` the [start, end) of every 8-character window of `text` that is a window of a secret. */
  spans(text: string, into: Array<[number, number]>): void {
    const n = text.length;
    if (this.windows.size === 0 || n < WINDOW) return;
    // The hot loop of every masked line: locals only, no calls but charCodeAt until a bitmap hit.
    const bits = this.bits;
    const bitMask = this.bitMask;
    let h = hashAt(text, 0);
    for (let i = 0; ; i++) {
      const bit = h & bitMask;
      if (((bits[bit >>> 5] as number) & (1 << (bit & 31))) !== 0 && this.windows.has(text.slice(i, i + WINDOW))) {
        const last = into.at(-1);
        // Consecutive windows of one run extend its span instead of adding one per character.
        if (last !== undefined && last[0] <= i && i <= last[1]) last[1] = Math.max(last[1], i + WINDOW);
        else into.push([i, i + WINDOW]);
      }
      if (i + WINDOW >= n) break;
      h = (Math.imul(h - Math.imul(text.charCodeAt(i), DROP), BASE) + text.charCodeAt(i + WINDOW)) | 0;
    }
  }
}
