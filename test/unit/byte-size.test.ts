import { describe, expect, it } from '@jest/globals';
import { formatByteSize, parseByteSize } from '../../src/lib/byte-size.js';

describe('byte sizes', () => {
  it.each([
    ['1048576', 1_048_576],
    ['1MiB', 1_048_576],
    ['1 MB', 1_048_576],
    ['512KiB', 524_288],
    ['1.5k', 1536],
    ['2GiB', 2 * 1024 ** 3],
  ])('reads %s', (text, bytes) => {
    expect(parseByteSize(text)).toBe(bytes);
  });

  it.each(['', 'MiB', '1 XB', '-5', '1e6'])('refuses %j', (text) => {
    expect(parseByteSize(text)).toBeUndefined();
  });

  it.each([
    [0, '0 bytes'],
    [1, '1 byte'],
    [1023, '1023 bytes'],
    [4608, '4.5 KiB'],
    [12_800, '13 KiB'],
    [1_048_576, '1 MiB'],
    [1_010_101_010, '963 MiB'],
    [2.4 * 1024 ** 3, '2.4 GiB'],
  ])('shows %d as %s', (bytes, text) => {
    expect(formatByteSize(bytes)).toBe(text);
  });
});
