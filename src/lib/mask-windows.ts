/**
 * Partial-leak masking: finds every run of text made of 8-character windows of some secret, so a
 * secret printed in pieces (`${K:0:8}` then `${K:8}`) or cut into an output value is masked too.
 *
 * A secret's 8-character windows are kept in a Set; text is scanned with a rolling hash whose low
 * bits index a small bitmap, and only a bitmap hit costs a substring and a Set lookup. So the scan
 * is a multiply-add per character, and the memory a few dozen bytes per indexed window.
 *
 * Every run's masker holds the worker's secrets, and a worker caches up to a thousand runs: a
 * long secret (a key or certificate, over LONG_SECRET characters) gets one index shared by every
 * masker (SHARED_WINDOWS_MAX windows at most, least recently used dropped first) instead of one
 * per run. A secret longer than MAX_INDEXED_CHARS has only its first that many characters indexed;
 * the whole value is still masked by the plain match.
 */

export const WINDOW = 8;
export const MAX_INDEXED_CHARS = 64 * 1024;
const LONG_SECRET = 256;
const SHARED_WINDOWS_MAX = 1 << 20;
const BASE = 31;
/** BASE^(WINDOW-1) mod 2^32, to drop the character leaving the window. */
const DROP = Array.from({ length: WINDOW - 1 }).reduce<number>((p) => Math.imul(p, BASE), 1);

function hashAt(text: string, start: number): number {
  let h = 0;
  for (let i = start; i < start + WINDOW; i++) h = (Math.imul(h, BASE) + text.charCodeAt(i)) | 0;
  return h;
}

/** The windows of some secrets behind a bitmap of their hashes. */
class WindowIndex {
  readonly windows = new Set<string>();
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
    for (const w of this.windows) {
      const bit = hashAt(w, 0) & this.bitMask;
      this.bits[bit >>> 5] = (this.bits[bit >>> 5] ?? 0) | (1 << (bit & 31));
    }
  }

  /** Whether text[i, i+8), whose hash is h, is one of the windows. */
  hit(h: number, text: string, i: number): boolean {
    const bit = h & this.bitMask;
    return ((this.bits[bit >>> 5] ?? 0) & (1 << (bit & 31))) !== 0 && this.windows.has(text.slice(i, i + WINDOW));
  }
}

const shared = new Map<string, WindowIndex>();
let sharedWindows = 0;

/** The shared index of one long secret (most recently used last in the Map). */
function sharedIndex(secret: string): WindowIndex {
  let index = shared.get(secret);
  if (index !== undefined) shared.delete(secret);
  else {
    index = new WindowIndex([secret]);
    sharedWindows += index.windows.size;
    for (const [old, oldIndex] of shared) {
      if (sharedWindows <= SHARED_WINDOWS_MAX) break;
      shared.delete(old);
      sharedWindows -= oldIndex.windows.size;
    }
  }
  shared.set(secret, index);
  return index;
}

export class SecretWindows {
  private readonly parts: WindowIndex[];

  constructor(secrets: Iterable<string>) {
    const short: string[] = [];
    const long: string[] = [];
    for (const s of secrets) if (s.length >= WINDOW) (s.length > LONG_SECRET ? long : short).push(s);
    this.parts = [...(short.length > 0 ? [new WindowIndex(short)] : []), ...long.map(sharedIndex)];
  }

  get empty(): boolean {
    return this.parts.length === 0;
  }

  /** Adds to `into` the [start, end) of every 8-character window of `text` that is a window of a secret. */
  spans(text: string, into: Array<[number, number]>): void {
    const n = text.length;
    if (this.parts.length === 0 || n < WINDOW) return;
    let h = hashAt(text, 0);
    for (let i = 0; ; i++) {
      for (const part of this.parts) {
        if (!part.hit(h, text, i)) continue;
        const last = into.at(-1);
        // Consecutive windows of one run extend its span instead of adding one per character.
        if (last !== undefined && last[0] <= i && i <= last[1]) last[1] = Math.max(last[1], i + WINDOW);
        else into.push([i, i + WINDOW]);
        break;
      }
      if (i + WINDOW >= n) break;
      h = (Math.imul(h - Math.imul(text.charCodeAt(i), DROP), BASE) + text.charCodeAt(i + WINDOW)) | 0;
    }
  }
}
