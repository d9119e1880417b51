import { formatDuration, parseDuration } from '../../src/workflow/duration.js';

describe('parseDuration', () => {
  it.each([
    ['500ms', 500],
    ['30s', 30_000],
    ['5m', 300_000],
    ['2h', 7_200_000],
    ['1h30m', 5_400_000],
    ['1d', 86_400_000],
  ])('reads %s', (text, ms) => expect(parseDuration(text)).toBe(ms));

  it.each(['', '5', 'm5', '5 minutes', '1.5h', '-3s', '5x'])('refuses %j', (text) => expect(parseDuration(text)).toBeUndefined());

  it('gives the same answer when asked again (answers are remembered)', () => {
    for (let i = 0; i < 3; i++) {
      expect(parseDuration(' 1h30m ')).toBe(5_400_000);
      expect(parseDuration('1.5h')).toBeUndefined();
    }
    // Far more distinct texts than are remembered: still right.
    for (let n = 1; n <= 2_500; n++) expect(parseDuration(`${n}s`)).toBe(n * 1000);
  });
});

describe('formatDuration', () => {
  it('formats for people', () => {
    expect(formatDuration(820)).toBe('0.8s');
    expect(formatDuration(30_000)).toBe('30s');
    expect(formatDuration(4200)).toBe('4.2s');
    expect(formatDuration(185_000)).toBe('3m05s');
    expect(formatDuration(3_720_000)).toBe('1h02m');
  });
});
