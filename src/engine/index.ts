/**
 * The engine's public entry points. Fronts use createEngine() (a RunsApi without a worker); worker
 * processes use startWorker(). Both take the same options.
 */
import { Engine, type EngineOptions } from './engine.js';

export { Engine, DEFAULT_RETENTION_MS, type EngineOptions, type EngineProject } from './engine.js';
export { startWorker, type WorkerHandle, type WorkerOptions } from './worker.js';
export { EngineError, isEngineError, type EngineErrorCode } from './errors.js';
export { renderTranscript } from './transcript.js';
export { RUN_ID_PATTERN, newRunId } from './ids.js';
export { followRun, type FollowOptions } from './follow.js';
export { openEngine, openProject, terminalIdentity, rolesFor, type Opened, type OpenOptions } from './bootstrap.js';
export type { ApprovalDefaults } from './snapshot.js';

export function createEngine(opts: EngineOptions): Engine {
  return new Engine(opts);
}
