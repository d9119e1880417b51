/** A logger whose JSON lines a test can read (pino at `level`, written to memory). */
import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../../src/lib/logger.js';

export type LogLine = { msg?: string; level?: number; [k: string]: unknown };

export function capturingLogger(level = 'info'): { log: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString().split('\n')) if (l.startsWith('{')) lines.push(JSON.parse(l) as LogLine);
      done();
    },
  });
  return { log: createLogger(level, stream), lines };
}
