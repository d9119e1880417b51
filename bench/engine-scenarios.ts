/** Engine scenarios (placeholder until src/engine/index.ts exports createEngine and startWorker). */
import type { Row } from './stats.js';

export interface ScenarioOptions {
  redisUrl: string;
  concurrency: number;
  scaled: (n: number) => number;
  progress: (what: string) => void;
  rawPerSecond: number;
}

export async function runEngineScenarios(_opts: ScenarioOptions): Promise<Row[]> {
  return [{ metric: 'engine scenarios', value: 'not run: the engine API is not available yet', pass: false }];
}
