/** ANSI colours for the terminal's formatters (none when not on a TTY or NO_COLOR). */
import type { Tone } from '../../chat/state-words.js';

export interface FormatOptions {
  color: boolean;
  /** The clock for elapsed times and expiry; defaults to the view's own `now`. */
  now?: number;
  /**
   * Show times that change with the clock alone (running 12s, expires in 5m); default true. Plain
   * logs turn it off, so a line changes only when the state does.
   */
  clock?: boolean;
}

const CODES: Record<Tone | 'bold' | 'code', [number, number]> = {
  ok: [32, 39],
  bad: [31, 39],
  wait: [33, 39],
  busy: [36, 39],
  dim: [90, 39],
  bold: [1, 22],
  code: [2, 22],
};

type Paint = (style: keyof typeof CODES, s: string) => string;

export function painter(color: boolean): Paint {
  return color ? (style, s) => `\x1b[${CODES[style][0]}m${s}\x1b[${CODES[style][1]}m` : (_style, s) => s;
}
