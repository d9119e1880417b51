import { describe, expect, it } from '@jest/globals';
import { readStepRecord, storedStepJson } from '../../src/engine/records.js';
import type { StepRecord } from '../../src/engine/types.js';

const base: StepRecord = { id: 'ask', name: 'Ask', kind: 'approval', phase: 'main', state: 'pending', attempt: 1, outputs: {} };

describe('stored step records', () => {
  it('store only what the snapshot and :st do not tell, and read back whole', () => {
    const parked: StepRecord = { ...base, state: 'waiting', attempt: 1, startedAt: 1795390217838 };
    const json = storedStepJson(parked, base);
    expect(JSON.parse(json)).toEqual({ startedAt: 1795390217838 });
    // Small enough for Redis to keep a parked run's :steps hash as a listpack (hash-max-listpack-value 64).
    expect(json.length).toBeLessThanOrEqual(64);
    expect(readStepRecord(base, json)).toEqual({ ...base, startedAt: 1795390217838 });
  });

  it('keep outputs, errors and anything that differs from the snapshot', () => {
    const done: StepRecord = { ...base, name: 'Renamed', state: 'failed', attempt: 2, outputs: { a: '1' }, error: 'boom', exitCode: 3, endedAt: 5 };
    const back = readStepRecord(base, storedStepJson(done, base));
    expect(back).toEqual({ ...done, state: 'pending', attempt: 1 }); // state and attempt come from :st
  });

  it('read full records written by older versions', () => {
    const old: StepRecord = { ...base, state: 'running', attempt: 1, startedAt: 7 };
    expect(readStepRecord(base, JSON.stringify(old))).toEqual(old);
  });
});
