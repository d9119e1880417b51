import { complete } from '../../src/adapters/shell/completer.ts';
import { applyLineOptions } from '../../src/adapters/shell/line-options.ts';
import { stripPrefix } from '../../src/chat/parse-command.ts';
import { closestMatches } from '../../src/chat/suggest.ts';
import { TokenizeError, tokenize } from '../../src/chat/tokenize.ts';
import { UsagePatternError, compileUsage, diagnose, matchUsage } from '../../src/chat/usage-pattern.ts';

const words = (line: string) => tokenize(line);

describe('tokenize', () => {
  it('splits words, keeps quoted strings whole, detects key=value outside quotes', () => {
    const t = tokenize(`page sre "disk is full" note='a b' x="y z" "k=v" \\"raw`);
    expect(t.map((x) => x.text)).toEqual(['page', 'sre', 'disk is full', 'note=a b', 'x=y z', 'k=v', '"raw']);
    expect(t[3]?.assignment).toEqual({ key: 'note', value: 'a b' });
    expect(t[4]?.assignment).toEqual({ key: 'x', value: 'y z' });
    expect(t[5]?.assignment).toBeUndefined();
    expect(t[2]?.quoted).toBe(true);
  });
  it('accepts the curly quotes chat clients type', () => {
    expect(tokenize('page sre “disk full”').map((x) => x.text)).toEqual(['page', 'sre', 'disk full']);
  });
  it('refuses an unterminated quote', () => {
    expect(() => tokenize('restart "api')).toThrow(TokenizeError);
  });
});

describe('usage patterns', () => {
  const p = compileUsage('restart {service} on {host} [in {env} [zone {zone}]]');
  it('matches required and nested optional parts', () => {
    expect(matchUsage(p, words('restart api on web-1'))).toEqual({ service: 'api', host: 'web-1' });
    expect(matchUsage(p, words('Restart api ON web-1 in prod'))).toEqual({ service: 'api', host: 'web-1', env: 'prod' });
    expect(matchUsage(p, words('restart "my api" on web-1 in prod zone b'))).toEqual({ service: 'my api', host: 'web-1', env: 'prod', zone: 'b' });
  });
  it('does not let a quoted word stand for a literal', () => {
    expect(matchUsage(p, words('restart api "on" web-1'))).toBeUndefined();
  });
  it('diagnoses missing, wrong and extra words', () => {
    expect(diagnose(p, words('restart api'))).toEqual({ kind: 'missing', literal: 'on' });
    expect(diagnose(p, words('restart api on'))).toEqual({ kind: 'missing', arg: 'host' });
    expect(diagnose(p, words('restart api at web-1'))).toEqual({ kind: 'expected-word', literal: 'on', got: 'at' });
    expect(diagnose(p, words('restart api on web-1 in'))).toEqual({ kind: 'missing', arg: 'env' });
    expect(diagnose(p, words('restart api on web-1 now'))).toEqual({ kind: 'unexpected', got: 'now' });
  });
  it('refuses broken patterns', () => {
    expect(() => compileUsage('restart {service')).toThrow(UsagePatternError);
    expect(() => compileUsage('restart [in {env}')).toThrow(UsagePatternError);
    expect(() => compileUsage('{service} restart')).toThrow(UsagePatternError);
    expect(() => compileUsage('restart {a} {a}')).toThrow(UsagePatternError);
  });
});

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
