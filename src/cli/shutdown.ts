/**
 * How long-running commands (`serve`, `worker`) stop on SIGTERM or SIGINT: a graceful close, bounded
 * by CHATOPS_SHUTDOWN_TIMEOUT. Past the deadline the process exits anyway (code 1), whatever it was
 * waiting for: a Redis that does not answer, a step that does not end (its process group is then
 * killed by the orphan guard, and the step retried or reported lost by another worker once its lease
 * runs out). A second signal quits at once.
 */
import type { Logger } from '../lib/logger.js';
import { EXIT } from './exit-codes.js';

export interface StopOptions {
  log: Logger;
  /** CHATOPS_SHUTDOWN_TIMEOUT in milliseconds. */
  timeoutMs: number;
  /** The graceful close; the process exits when it resolves (or at the deadline). */
  close: (signal: NodeJS.Signals) => Promise<void>;
  /** Called once on the first signal, before closing (a line for a person at a terminal). */
  onSignal?: (signal: NodeJS.Signals) => void;
}

/** Resolves once a signal came and the close finished within the deadline. */
export function untilStopped(opts: StopOptions): Promise<void> {
  const { log, timeoutMs } = opts;
  return new Promise<void>((resolve) => {
    let stopping = false;
    const onSignal = (signal: NodeJS.Signals) => {
      if (stopping) {
        log.warn({ signal }, 'second signal: quitting now');
        process.exit(EXIT.failed);
      }
      stopping = true;
      opts.onSignal?.(signal);
      log.info({ signal, timeoutMs }, 'shutting down');
      const deadline = setTimeout(() => {
        log.error({ timeoutMs }, 'shutdown did not finish within CHATOPS_SHUTDOWN_TIMEOUT; exiting now');
        process.exit(EXIT.failed);
      }, timeoutMs);
      opts.close(signal).then(
        () => {
          clearTimeout(deadline);
          process.off('SIGTERM', onSignal);
          process.off('SIGINT', onSignal);
          // The process itself is ended by runCli (main.ts) once the command returns.
          resolve();
        },
        (err: unknown) => {
          clearTimeout(deadline);
          log.error({ err }, 'shutdown failed; exiting');
          process.exit(EXIT.failed);
        },
      );
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
}
