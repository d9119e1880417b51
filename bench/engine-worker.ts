/** Starts a chatops engine worker for the bench (placeholder until src/engine/index.ts exports startWorker). */
export interface EngineWorkerOptions {
  redisUrl: string;
  prefix: string;
  concurrency: number;
  dir: string;
}

export async function startEngineWorker(_opts: EngineWorkerOptions): Promise<{ close(): Promise<void> }> {
  throw new Error('the engine (src/engine/index.ts startWorker) is not available yet');
}
