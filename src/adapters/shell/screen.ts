/**
 * The terminal the shell draws on. On a TTY: permanent lines scroll above a "live region" (the
 * followed run's living message, redrawn in place) and the input prompt stays at the bottom.
 * Not a TTY: lines are simply written, nothing is redrawn (so scripts and tests read plain text).
 */
import type { Interface } from 'node:readline';
import { stripVTControlCharacters } from 'node:util';

export interface Screen {
  readonly tty: boolean;
  /** Writes lines permanently (above the live region and prompt on a TTY). */
  print(lines: string[]): void;
  /** Replaces the live region (TTY only; ignored otherwise). */
  setLive(lines: string[]): void;
  /** Prints the live region permanently and empties it. */
  commitLive(): void;
  attach(rl: Interface): void;
}

export function createScreen(out: NodeJS.WritableStream & { columns?: number }, tty: boolean): Screen {
  let live: string[] = [];
  let liveRows = 0;
  let rl: Interface | undefined;

  const rowsOf = (lines: string[]) => {
    const cols = out.columns && out.columns > 0 ? out.columns : 80;
    return lines.reduce((n, l) => n + Math.max(1, Math.ceil(stripVTControlCharacters(l).length / cols)), 0);
  };

  /** Clears the live region and the prompt line, leaving the cursor where they started. */
  const clear = () => {
    out.write('\r\x1b[2K');
    if (liveRows > 0) out.write(`\x1b[${liveRows}A\r\x1b[0J`);
    liveRows = 0;
  };

  const redraw = () => {
    if (live.length > 0) {
      out.write(`${live.join('\n')}\n`);
      liveRows = rowsOf(live);
    }
    rl?.prompt(true);
  };

  if (!tty) {
    return {
      tty,
      print: (lines) => {
        if (lines.length > 0) out.write(`${lines.join('\n')}\n`);
      },
      setLive: () => undefined,
      commitLive: () => undefined,
      attach: (r) => {
        rl = r;
      },
    };
  }
  return {
    tty,
    print(lines) {
      if (lines.length === 0) return;
      clear();
      out.write(`${lines.join('\n')}\n`);
      redraw();
    },
    setLive(lines) {
      clear();
      live = lines;
      redraw();
    },
    commitLive() {
      clear();
      if (live.length > 0) out.write(`${live.join('\n')}\n`);
      live = [];
      redraw();
    },
    attach(r) {
      rl = r;
    },
  };
}
