import { nearest } from '../../src/config/did-you-mean.js';
import { UsageError, checkExample, expandUsage, parseUsage, usagesCollide } from '../../src/config/usage.js';

describe('parseUsage', () => {
  it('reads words, arguments and optional parts', () => {
    const u = parseUsage('restart {service} on {host} [in {region}]');
    expect(u.name).toBe('restart');
    expect(u.args).toEqual(['service', 'host', 'region']);
    expect(u.tokens.filter((t) => t.kind === 'arg' && t.optional).map((t) => (t.kind === 'arg' ? t.name : ''))).toEqual(['region']);
    expect(expandUsage(u).map((shape) => shape.length)).toEqual([4, 6]);
  });
  it.each([
    ['{service} restart', /starts with the command name/],
    ['restart {service', /not an argument/],
    ['restart [a [b]]', /cannot be nested/],
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
  });
});
