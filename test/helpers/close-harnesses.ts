/** For jest test files only (engine-harness.ts is also loaded by worker child processes, outside jest). */
import { afterEach } from '@jest/globals';
import { openHarnesses } from './engine-harness.js';

/** Registers an afterEach that closes every harness the test opened (workers, then the engine). */
export function closeHarnessesAfterEach(): void {
  afterEach(async () => {
    for (const h of [...openHarnesses]) await h.close();
  });
}
