import { describe, expect, it } from '@jest/globals';
import { readEnv } from '../../src/config/env.js';

describe('readEnv', () => {
  it('keeps finished runs 30 days unless CHATOPS_RETENTION says otherwise', () => {
    expect(readEnv({}).CHATOPS_RETENTION).toBe(30 * 86_400_000);
    expect(readEnv({ CHATOPS_RETENTION: '12h' }).CHATOPS_RETENTION).toBe(12 * 3_600_000);
    expect(readEnv({ CHATOPS_RETENTION: '1d12h' }).CHATOPS_RETENTION).toBe(36 * 3_600_000);
  });

  it.each(['forever', '0s', '30', '-1d'])('refuses CHATOPS_RETENTION=%s and says what it expects', (value) => {
    expect(() => readEnv({ CHATOPS_RETENTION: value })).toThrow('Invalid environment: CHATOPS_RETENTION: expected a duration such as 30d, 12h or 90m');
  });

  it('gives workers a 30 s step lease unless CHATOPS_STEP_LEASE says otherwise, and refuses one under 3 s', () => {
    expect(readEnv({}).CHATOPS_STEP_LEASE).toBe(30_000);
    expect(readEnv({ CHATOPS_STEP_LEASE: '1m' }).CHATOPS_STEP_LEASE).toBe(60_000);
    expect(() => readEnv({ CHATOPS_STEP_LEASE: '2s' })).toThrow('Invalid environment: CHATOPS_STEP_LEASE: expected a duration of at least 3s, such as 30s or 1m');
  });

  it('reads output budgets as sizes, leaving them to the engine when unset', () => {
    const unset = readEnv({});
    expect([unset.CHATOPS_STEP_OUTPUT_MAX, unset.CHATOPS_RUN_OUTPUT_MAX]).toEqual([undefined, undefined]);
    expect(readEnv({ CHATOPS_STEP_OUTPUT_MAX: '512KiB', CHATOPS_RUN_OUTPUT_MAX: '16 MiB' })).toMatchObject({ CHATOPS_STEP_OUTPUT_MAX: 512 * 1024, CHATOPS_RUN_OUTPUT_MAX: 16 * 1024 * 1024 });
    expect(readEnv({ CHATOPS_STEP_OUTPUT_MAX: '65536' }).CHATOPS_STEP_OUTPUT_MAX).toBe(65536);
  });

  it.each(['lots', '0', '1 MiBs', '-1MiB'])('refuses CHATOPS_STEP_OUTPUT_MAX=%s and says what it expects', (value) => {
    expect(() => readEnv({ CHATOPS_STEP_OUTPUT_MAX: value })).toThrow('Invalid environment: CHATOPS_STEP_OUTPUT_MAX: expected a size such as 1MiB, 512KiB or 1048576 (bytes)');
  });

  it('names the variable of any other bad value', () => {
    expect(() => readEnv({ PORT: 'eighty' })).toThrow(/Invalid environment: PORT: /);
  });
});
