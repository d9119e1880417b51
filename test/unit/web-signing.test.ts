import { describe, expect, it } from '@jest/globals';
import { WebAccess } from '../../src/web/access.js';
import { LinkSigner, parseWebKeys, WebKeyError } from '../../src/web/link-signing.js';
import { compareStreamIds, isStreamId } from '../../src/web/stream-ids.js';

const KEY = 'k'.repeat(32);
const OTHER = 'o'.repeat(32);
const NOW = 1_800_000_000_000;

describe('signed page links', () => {
  const signer = new LinkSigner([KEY], () => NOW);

  it('verifies a link it signed, for that page only', () => {
    const q = signer.sign('run', 'r-abc123', 60_000);
    expect(q).toBeDefined();
    if (!q) return;
    expect(signer.verify('run', 'r-abc123', q)).toEqual({ ok: true, expiresAt: Number(q.exp) * 1000 });
    expect(signer.verify('run', 'r-abc124', q)).toEqual({ ok: false, reason: 'bad-signature' });
    expect(signer.verify('incident', 'r-abc123', q)).toEqual({ ok: false, reason: 'bad-signature' });
  });

  it('refuses a changed expiry, a changed signature and malformed queries', () => {
    const q = signer.sign('run', 'r-abc123', 60_000);
    if (!q) throw new Error('no link');
    expect(signer.verify('run', 'r-abc123', { ...q, exp: String(Number(q.exp) + 3600) }).ok).toBe(false);
    const flipped = (q.sig[0] === 'A' ? 'B' : 'A') + q.sig.slice(1);
    expect(signer.verify('run', 'r-abc123', { ...q, sig: flipped })).toEqual({ ok: false, reason: 'bad-signature' });
    expect(signer.verify('run', 'r-abc123', { exp: q.exp })).toEqual({ ok: false, reason: 'malformed' });
    expect(signer.verify('run', 'r-abc123', { exp: 'soon', sig: q.sig })).toEqual({ ok: false, reason: 'malformed' });
    expect(signer.verify('run', 'r-abc123', { exp: q.exp, sig: [q.sig] })).toEqual({ ok: false, reason: 'malformed' });
  });

  it('refuses an expired link, even with a good signature', () => {
    const q = signer.sign('run', 'r-abc123', 60_000);
    if (!q) throw new Error('no link');
    const later = new LinkSigner([KEY], () => NOW + 61_000);
    expect(later.verify('run', 'r-abc123', q)).toEqual({ ok: false, reason: 'expired' });
  });

  it('fails closed without a key: signs nothing, verifies nothing', () => {
    const none = new LinkSigner([]);
    expect(none.enabled).toBe(false);
    expect(none.sign('run', 'r-abc123')).toBeUndefined();
    const q = signer.sign('run', 'r-abc123');
    if (!q) throw new Error('no link');
    expect(none.verify('run', 'r-abc123', q)).toEqual({ ok: false, reason: 'no-key' });
  });

  it('rotates: the first key signs, every key verifies; a link of a removed key is refused', () => {
    const old = new LinkSigner([OTHER], () => NOW).sign('run', 'r-abc123');
    if (!old) throw new Error('no link');
    const both = new LinkSigner([KEY, OTHER], () => NOW);
    expect(both.verify('run', 'r-abc123', old).ok).toBe(true);
    const fresh = both.sign('run', 'r-abc123');
    if (!fresh) throw new Error('no link');
    expect(signer.verify('run', 'r-abc123', fresh).ok).toBe(true);
    expect(signer.verify('run', 'r-abc123', old).ok).toBe(false);
  });

  it('reads CHATOPS_WEB_KEY: comma-separated, each at least 32 characters', () => {
    expect(parseWebKeys(undefined)).toEqual([]);
    expect(parseWebKeys(` ${KEY} , ${OTHER},`)).toEqual([KEY, OTHER]);
    expect(() => parseWebKeys('short')).toThrow(WebKeyError);
    expect(() => parseWebKeys('short')).toThrow(/at least 32 characters/);
  });
});

describe('list page access', () => {
  it('takes the bearer token and a session cookie it made; nothing without a token set', () => {
    let now = NOW;
    const access = new WebAccess('list-token', () => now);
    expect(access.bearer('Bearer list-token')).toBe(true);
    expect(access.bearer('Bearer list-tokenx')).toBe(false);
    expect(access.bearer(undefined)).toBe(false);
    const cookie = access.session();
    expect(cookie).not.toContain('list-token');
    expect(access.checkSession(cookie)).toBe(true);
    expect(new WebAccess('another-token', () => now).checkSession(cookie)).toBe(false);
    expect(access.checkSession(cookie.replace(/^\d+/, (d) => String(Number(d) + 1)))).toBe(false);
    now += 13 * 3600_000;
    expect(access.checkSession(cookie)).toBe(false);
    const off = new WebAccess(undefined);
    expect(off.enabled).toBe(false);
    expect(off.bearer('Bearer ')).toBe(false);
    expect(off.checkToken('')).toBe(false);
  });
});

describe('stream ids', () => {
  it('orders as Redis does, numerically by time then sequence', () => {
    expect(compareStreamIds('9-0', '10-0')).toBe(-1);
    expect(compareStreamIds('10-2', '10-10')).toBe(-1);
    expect(compareStreamIds('10-1', '10-1')).toBe(0);
    expect(compareStreamIds('0', '1-0')).toBe(-1);
    expect(compareStreamIds('1700000000000-5', '1700000000000-4')).toBe(1);
    expect(isStreamId('1700000000000-5')).toBe(true);
    expect(isStreamId('0')).toBe(true);
    expect(isStreamId('$')).toBe(false);
    expect(isStreamId('1-2\nid: 3')).toBe(false);
  });
});
