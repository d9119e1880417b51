/** Structured logs with pino. Every run and chat event gets a child logger (`log.child({ runId })`). */
import { pino, type Logger } from 'pino';

export type { Logger };

export function createLogger(level: string = process.env.LOG_LEVEL ?? 'info', destination: NodeJS.WritableStream = process.stderr): Logger {
  return pino({ level, base: { pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime }, destination);
}

/** A logger that writes nothing, for tests and quiet CLI commands. */
export const silentLogger: Logger = pino({ level: 'silent' });
