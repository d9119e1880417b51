import { describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import { NOTHING_SEALED, seal, unseal, type Sealed } from '../../src/engine/seal.js';

const key = (text: string) => createHash('sha256').update(text).digest();

describe('engine: sealing run secrets', () => {
  it('stores a run with nothing secret as a marker, and reads it back empty under any key', () => {
    expect(seal({ inputs: {}, secrets: {}, mask: [] }, key('a'))).toBe(NOTHING_SEALED);
    expect(seal({ inputs: {}, secrets: {} }, key('a'))).toBe(NOTHING_SEALED);
    expect(unseal(NOTHING_SEALED, key('b'))).toEqual({ inputs: {}, mask: [] });
  });

  it('encrypts anything secret (inputs, secrets or mask values): never in clear, round-trips, refuses another key', () => {
    const values: Sealed[] = [{ inputs: { token: 's3cr3t-in' }, secrets: {} }, { inputs: {}, secrets: { API: 's3cr3t-ctx' } }, { inputs: {}, secrets: {}, mask: ['s3cr3t-mask'] }];
    for (const value of values) {
      const text = seal(value, key('a'));
      expect(text).not.toBe(NOTHING_SEALED);
      expect(text).not.toContain('s3cr3t');
      expect(unseal(text, key('a'))).toEqual(value);
      expect(() => unseal(text, key('b'))).toThrow(/different secret key/);
    }
  });
});
