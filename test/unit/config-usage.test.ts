import { nearest } from '../../src/config/did-you-mean.js';
import { UsageError, checkExample, diagnose, expandUsage, fillArgs, matchUsage, parseUsage, usagesCollide } from '../../src/config/usage.js';
import { TokenizeError, tokenize } from '../../src/config/usage-words.js';

describe('parseUsage', () => {
  it('reads words, arguments and optional parts', () => {
    const u = parseUsage('restart {service} on {host} [in {region}]');
    expect(u.name).toBe('restart');
    expect(u.args).toEqual(['service', 'host', 'region']);
    expect(u.requiredArgs).toEqual(['service', 'host']);
    expect(expandUsage(u).map((shape) => shape.length)).toEqual([4, 6]);
  });
  it('accepts an optional part inside another (the router and the validator read it alike)', () => {
    const u = parseUsage('restart {service} [in {env} [zone {zone}]]');
    expect(u.requiredArgs).toEqual(['service']);
    expect(expandUsage(u).map((shape) => shape.length)).toEqual([2, 4, 6]);
    expect(checkExample(u, 'restart api zone b')).toBeUndefined();
    expect(checkExample(u, 'restart api in prod zone b')).toEqual({ extras: [] });
  });
  it.each([
    ['{service} restart', /starts with the command name/],
    ['restart {service', /not an argument/],
    ['restart [] {a}', /holds nothing/],
    ['restart "now"', /cannot hold quotes/],
    ['restart [a', /without a matching \]/],
    ['restart a]', /without a matching \[/],
    ['restart {a} {a}', /appears twice/],
    ['restart {a} env=prod', /key=value words are always accepted/],
  ])('refuses %j', (pattern, message) => {
    expect(() => parseUsage(pattern)).toThrow(UsageError);
    expect(() => parseUsage(pattern)).toThrow(message);
  });
});

describe('usagesCollide', () => {
  const u = (p: string) => parseUsage(p);
  it('finds text both would match', () => {
    expect(usagesCollide(u('deploy {service}'), u('deploy {name}'))).toBe(true);
    expect(usagesCollide(u('deploy {service} [{env}]'), u('deploy rollback {service}'))).toBe(true);
    expect(usagesCollide(u('deploy {service} [to {env} [{zone}]]'), u('deploy {a} to {b} now'))).toBe(true);
  });
  it('keeps apart patterns that differ in a word or in length', () => {
    expect(usagesCollide(u('deploy {service} to {env}'), u('deploy {service} in {env}'))).toBe(false);
    expect(usagesCollide(u('deploy {service}'), u('deploy {service} {version}'))).toBe(false);
    expect(usagesCollide(u('restart {service}'), u('deploy {service}'))).toBe(false);
  });
});

describe('nearest', () => {
  it('suggests only plausible typos', () => {
    expect(nearest('tiemout', ['timeout', 'retry'])).toBe('timeout');
    expect(nearest('biuld', ['build', 'deploy'])).toBe('build');
    expect(nearest('zz', ['a'])).toBeUndefined();
    expect(nearest('deploy', ['restart'])).toBeUndefined();
    expect(nearest('x', [])).toBeUndefined();
  });
});

describe('checkExample', () => {
  const u = parseUsage('restart {service} [in {env}]');
  it('accepts examples that fit, setting aside key=value words', () => {
    expect(checkExample(u, 'restart api')).toEqual({ extras: [] });
    expect(checkExample(u, 'restart "my api" in prod reason="memory leak" force=yes')).toEqual({ extras: ['reason', 'force'] });
  });
  it('refuses examples that do not', () => {
    expect(checkExample(u, 'restart')).toBeUndefined();
    expect(checkExample(u, 'restart api on prod')).toBeUndefined();
    expect(checkExample(u, 'reboot api')).toBeUndefined();
    // Read exactly as chat reads a typed line: a quoted word is never a literal; a quote must close.
    expect(checkExample(u, 'restart api "in" prod')).toBeUndefined();
    expect(checkExample(u, 'restart "api')).toBeUndefined();
  });
  it('splits words as chat does: escapes and curly quotes', () => {
    expect(checkExample(u, 'restart “my api” IN prod note=a\\ b')).toEqual({ extras: ['note'] });
  });
});

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
  const p = parseUsage('restart {service} on {host} [in {env} [zone {zone}]]');
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
    expect(() => parseUsage('restart {service')).toThrow(UsageError);
    expect(() => parseUsage('restart [in {env}')).toThrow(UsageError);
    expect(() => parseUsage('{service} restart')).toThrow(UsageError);
    expect(() => parseUsage('restart {a} {a}')).toThrow(UsageError);
  });
});

describe('fillArgs', () => {
  const p = parseUsage('rotate {token} for {service} [in {env} [with {key}]]');
  const filled = (line: string, fillable: string[]) => fillArgs(p, tokenize(line), new Set(fillable))?.map((f) => (f.word ? f.word.text : `{${f.arg}}`)).join(' ');
  it('puts left-out arguments in where the usage has them, words the line holds taken first', () => {
    expect(filled('rotate for api', ['token'])).toBe('rotate {token} for api');
    expect(filled('rotate for api in prod', ['token', 'key'])).toBe('rotate {token} for api in prod');
    expect(filled('rotate for api in prod with', ['token', 'key'])).toBe('rotate {token} for api in prod with {key}');
    expect(filled('rotate t0k for api in prod with', ['token', 'key'])).toBe('rotate t0k for api in prod with {key}');
    expect(filled('rotate t0k for api', ['token'])).toBe('rotate t0k for api');
  });
  it('fills only the arguments it may, and never turns a quoted word into a literal', () => {
    expect(filled('rotate for', ['token'])).toBeUndefined();
    expect(filled('rotate "for" api', ['token'])).toBeUndefined();
    expect(filled('rotate for api', [])).toBeUndefined();
  });
});
