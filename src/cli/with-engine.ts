/**
 * The frame every run-steering subcommand shares: open the engine (env, Redis, project), run the
 * command, map a locked policy to exit 1 and "no such run" (and any other expected engine error codes) to exit 2 with one line,
 * and always close what was opened.
 */
import { openEngine, policyProblemLines, type Opened } from '../engine/bootstrap.js';
import { isEngineError } from '../engine/index.js';
import { EXIT } from './exit-codes.js';

export async function withEngine(command: string, fn: (opened: Opened) => Promise<number>, notFoundCodes: readonly string[] = ['UNKNOWN_RUN']): Promise<number> {
  const opened = await openEngine({ defaultLogLevel: 'warn', oneShot: true });
  try {
    return await fn(opened);
  } catch (err) {
    if (isEngineError(err, 'POLICY_LOCKED')) {
      // Fail closed: a broken policy never lets a terminal decision through.
      for (const line of policyProblemLines(opened.project)) console.error(line);
      console.error(`chatops ${command}: ${err.message}`);
      return EXIT.failed;
    }
    if (isEngineError(err) && notFoundCodes.includes(err.code)) {
      console.error(`chatops ${command}: ${err.message}`);
      return EXIT.unknownRun;
    }
    throw err;
  } finally {
    await opened.close();
  }
}
