import { MASK, Masker } from '../../src/lib/mask.js';

describe('Masker.mask', () => {
  it('replaces a secret wherever it appears, also inside longer text', () => {
    const m = new Masker(['s3cr3t']);
    expect(m.mask('token=s3cr3t;')).toBe('token=***;');
    expect(m.mask('xs3cr3tys3cr3t')).toBe('x***y***');
    expect(m.mask('nothing here')).toBe('nothing here');
  });

  it('masks the longer of two nested secrets whole', () => {
    const m = new Masker(['abc', 'abcdef']);
    expect(m.mask('--abcdef--abc--')).toBe('--***--***--');
  });

  it('leaves no part of overlapping secrets in clear', () => {
    const m = new Masker(['ab', 'bcd']);
    expect(m.mask('xabcdx')).toBe('x***x');
    expect(m.mask('ab bcd')).toBe('*** ***');
  });

  it('masks every non-empty secret, even one character, and ignores empty or blank ones', () => {
    const m = new Masker(['', 'x']);
    expect(m.mask('a x b')).toBe('a *** b');
    expect(new Masker(['']).empty).toBe(true);
    expect(new Masker([' ', '\t\n']).mask('a b\tc')).toBe('a b\tc');
    expect(new Masker([]).mask('plain')).toBe('plain');
  });

  it('treats regular-expression characters literally', () => {
    const m = new Masker(['a.b*c(d)$', '\\d+']);
    expect(m.mask('a.b*c(d)$ aXbbc \\d+ 123')).toBe('*** aXbbc *** 123');
  });

  it('masks each line of a multi-line secret, but not trivial fragments', () => {
    const key = '-----BEGIN KEY-----\nMIIEabcdefgh\nxy\n}\n-----END KEY-----';
    const m = new Masker([key]);
    expect(m.mask('MIIEabcdefgh')).toBe(MASK);
    expect(m.mask('line: -----END KEY-----')).toBe('line: ***');
    expect(m.mask('xy } stay')).toBe('xy } stay');
    expect(m.mask(key)).toBe(MASK);
  });

  it('masks the JSON-escaped form of a secret', () => {
    const secret = 'p"ss\\word';
    const m = new Masker([secret]);
    expect(m.mask(JSON.stringify({ password: secret }))).toBe('{"password":"***"}');
  });
});

describe('Masker.maskAndClip', () => {
  it('masks before cutting, so a secret across the cut never shows its first characters', () => {
    const m = new Masker(['SECRETVALUE123']);
    const line = `${'a'.repeat(3995)}SECRETVALUE123`;
    const clipped = m.maskAndClip(line, 4000);
    expect(clipped).not.toMatch(/SECR/);
    expect(clipped).toBe(`${'a'.repeat(3995)}***`);
    expect(m.maskAndClip('x'.repeat(10), 4)).toBe('xxxx… (6 more characters)');
  });
});

describe('Masker.maskDeep', () => {
  const m = new Masker(['hunter2']);

  it('masks string values in nested objects and arrays, never their keys, without touching the input', () => {
    const input = { a: 'pw hunter2', list: ['hunter2', 3, true, null], nested: { hunter2: { deep: 'x hunter2' } } };
    const out = m.maskDeep(input);
    expect(out).toEqual({ a: 'pw ***', list: ['***', 3, true, null], nested: { hunter2: { deep: 'x ***' } } });
    expect(input.a).toBe('pw hunter2');
  });

  it('keeps the keys of a record when a one-character secret occurs in them, and masks its values', () => {
    const one = new Masker(['k']);
    const record = { id: 'build', kind: 'run', outputs: { kind: 'key-k', keep: ['k', { kept: 'ok', knot: ['x k'] }] }, output: { lines: 1, head: ['kk'], tail: [] } };
    expect(one.maskDeep(record)).toEqual({ id: 'build', kind: 'run', outputs: { kind: '***ey-***', keep: ['***', { kept: 'o***', knot: ['x ***'] }] }, output: { lines: 1, head: ['***'], tail: [] } });
  });

  it('keeps a key named __proto__ as a plain key', () => {
    const out = m.maskDeep(JSON.parse('{"__proto__": "hunter2"}') as Record<string, unknown>);
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(Object.keys(out)).toEqual(['__proto__']);
    expect(Object.getOwnPropertyDescriptor(out, '__proto__')?.value).toBe('***');
  });

  it('masks errors: message, stack, own fields and cause', () => {
    const err = Object.assign(new Error('login with hunter2 failed', { cause: new Error('hunter2 rejected') }), { code: 'E_AUTH', detail: 'hunter2' });
    const out = m.maskDeep(err);
    expect(out).toBeInstanceOf(Error);
    expect(out.message).toBe('login with *** failed');
    expect(out.stack).not.toContain('hunter2');
    expect((out as unknown as { code: string }).code).toBe('E_AUTH');
    expect((out as unknown as { detail: string }).detail).toBe('***');
    expect((out.cause as Error).message).toBe('*** rejected');
  });

  it('survives cycles', () => {
    const a: Record<string, unknown> = { s: 'hunter2' };
    a.self = a;
    const out = m.maskDeep(a) as Record<string, unknown>;
    expect(out.s).toBe('***');
    expect(out.self).toBe(out);
  });

  it('masks an output object a run record would hold, and serialises clean', () => {
    const many = new Masker(['tok-123', 'pa55']);
    const record = { outputs: { body: '{"token":"tok-123"}' }, error: 'auth pa55 bad', lines: ['a', 'pa55'] };
    expect(JSON.stringify(many.maskDeep(record))).not.toMatch(/tok-123|pa55/);
  });
});

describe('Masker.maskName', () => {
  it('masks secrets of MIN_FRAGMENT_LENGTH or more characters in a name, not shorter ones', () => {
    const m = new Masker(['k', 'abc', 'prod', 'sk-live-0123456789']);
    expect(m.maskName('kind_abc')).toBe('kind_abc');
    expect(m.maskName('url_prod')).toBe('url_***');
    expect(m.maskName('x_sk-live-01234567')).toBe('x_***'); // an 8-character piece of a secret
    expect(m.mask('kind_abc')).toBe('***ind_***'); // text stays fail-closed
  });

  it('masks a name as text when every secret is long enough, and nothing without secrets', () => {
    const m = new Masker(['hunter2']);
    expect(m.maskName('pw_hunter2')).toBe('pw_***');
    expect(new Masker([]).maskName('kind')).toBe('kind');
  });
});

describe('Masker: pieces of a secret', () => {
  const secret = 'sk-live-0123456789abcdefXYZ'; // 27 characters

  it('masks any run of 8 or more characters copied from a secret', () => {
    const m = new Masker([secret]);
    expect(m.mask(`a=${secret.slice(0, 8)}`)).toBe('a=***');
    expect(m.mask(`b=${secret.slice(8)}!`)).toBe('b=***!');
    expect(m.mask(`mid ${secret.slice(5, 17)} end`)).toBe('mid *** end');
    // Two pieces side by side, or overlapping windows of two secrets, become one mask.
    expect(m.mask(`${secret.slice(0, 10)}${secret.slice(12, 22)}`)).toBe('***');
    expect(m.mask(`x ${secret.slice(0, 9)} y ${secret.slice(15)} z`)).toBe('x *** y *** z');
  });

  it('leaves pieces shorter than 8 characters, and text that merely resembles the secret', () => {
    const m = new Masker([secret]);
    expect(m.mask(secret.slice(0, 7))).toBe(secret.slice(0, 7));
    expect(m.mask('sk-live-')).toBe(MASK); // 8 characters of the secret, even if they look harmless
    expect(m.mask('sk-live_0123')).toBe('sk-live_0123');
  });

  it('indexes only secrets of 8 or more characters, and the first 64 KiB of a huge one', () => {
    expect(new Masker(['short']).mask('shortish short')).toBe('***ish ***');
    const huge = Array.from({ length: 10_000 }, (_, i) => i.toString(36).padStart(4, '0')).join('-'); // ~50 KB
    const m = new Masker([huge]);
    expect(m.mask(`x${huge.slice(30_000, 30_020)}x`)).toBe('x***x');
    // Too long for one regular expression (V8 refuses the pattern): found whole all the same.
    expect(m.mask(`a${huge}b${huge}`)).toBe('a***b***');
  });

  it('shares the index of a long secret between the maskers of many runs', () => {
    const cert = Array.from({ length: 4000 }, (_, i) => (i * 7919).toString(36).padStart(8, '0')).join(''); // 32,000 characters
    global.gc?.();
    const before = process.memoryUsage().heapUsed;
    // A worker caches up to 1,000 runs, each with its own masker; one index per run would be about 2 MB each.
    const maskers = Array.from({ length: 500 }, (_, i) => new Masker([cert, `run-input-${i}-secret`]));
    const grown = process.memoryUsage().heapUsed - before;
    expect(grown).toBeLessThan(150 * 1024 * 1024);
    expect(maskers[499]?.mask(`x${cert.slice(100, 120)}x run-input-499-sec`)).toBe('x***x ***');
  });

  it('scans long text in one pass', () => {
    const m = new Masker([secret]);
    const text = `${'lorem ipsum '.repeat(100_000)}${secret.slice(3, 15)}${' dolor'.repeat(1000)}`;
    const out = m.mask(text);
    expect(out).not.toContain(secret.slice(3, 11));
    expect(out.length).toBe(text.length - 12 + MASK.length);
  });
});
