import { complete } from '../../src/adapters/shell/completer.ts';
import { applyLineOptions } from '../../src/adapters/shell/line-options.ts';
import { stripPrefix } from '../../src/chat/parse-command.ts';
import { closestMatches } from '../../src/chat/suggest.ts';

describe('prefixes, suggestions and shell line options', () => {
  it('strips a slash command and mentions', () => {
    expect(stripPrefix('/ops restart api', ['/ops'])).toBe('restart api');
    expect(stripPrefix('<@U123> restart api', ['/ops'])).toBe('restart api');
    expect(stripPrefix('<@!42>, restart api', ['/ops'])).toBe('restart api');
    expect(stripPrefix('@chatops: /OPS help', ['/ops'])).toBe('help');
    expect(stripPrefix('/opsx help', ['/ops'])).toBe('/opsx help');
  });
  it('suggests close names only', () => {
    expect(closestMatches('restrat', ['restart', 'status', 'deploy'])).toEqual(['restart']);
    expect(closestMatches('zzz', ['restart', 'status'])).toEqual([]);
  });
  it('--as switches the user for one line; a run built-in without id means the last run', () => {
    expect(applyLineOptions('approve r-1 --as bob', undefined)).toEqual({ text: 'approve r-1', as: 'bob', error: undefined });
    expect(applyLineOptions('approve --as=bob', 'r-9')).toEqual({ text: 'approve r-9', as: 'bob', error: undefined });
    expect(applyLineOptions('restart api', 'r-9').text).toBe('restart api');
    expect(applyLineOptions('approve r-1 --as', undefined).error).toMatch(/--as needs a user name/);
  });
  it('completes command names and run ids', () => {
    expect(complete('res', ['restart', 'runs', 'status'], [])).toEqual([['restart '], 'res']);
    expect(complete('approve r-a', ['approve'], ['r-abc', 'r-xyz'])).toEqual([['r-abc'], 'r-a']);
  });
});
