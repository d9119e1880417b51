/**
 * Where the bot's Redis is, as one string every process passes around (engine options, workers,
 * child processes) and connectRedis turns into ioredis options:
 *
 * - `redis://[user:password@]host:port[/db]`: plain TCP, with an ACL user and password when given;
 * - `rediss://…`: the same over TLS (ioredis's own `rediss:` support); REDIS_TLS_CA names a PEM
 *   file of extra CA certificates to trust (a private CA), as NODE_EXTRA_CA_CERTS does process-wide;
 * - Redis Sentinel: REDIS_SENTINELS=host:port,host:port and REDIS_SENTINEL_NAME (the master's name)
 *   make `redis-sentinel://[user:password@]host:port,host:port/NAME[?db=N&tls=1]`, the user,
 *   password, db and TLS of the master taken from REDIS_URL when set. ioredis asks the sentinels
 *   where the master is and follows a failover (its `sentinels` and `name` options).
 *   REDIS_SENTINEL_PASSWORD is the sentinels' own password, when they have one.
 */
import { readFileSync } from 'node:fs';
import type { RedisOptions } from 'ioredis';

const SENTINEL_SCHEME = 'redis-sentinel:';

export interface RedisSettings {
  REDIS_URL?: string;
  REDIS_SENTINELS?: string;
  REDIS_SENTINEL_NAME?: string;
}

/** The target string for these settings, or undefined when REDIS_URL alone (or nothing) is set. */
export function sentinelTarget(s: RedisSettings): string | undefined {
  if (!s.REDIS_SENTINELS) return undefined;
  if (!s.REDIS_SENTINEL_NAME) throw new Error('REDIS_SENTINELS is set but REDIS_SENTINEL_NAME is not: set it to the name of the master the sentinels watch (`sentinel monitor NAME …`)');
  const hosts = s.REDIS_SENTINELS.split(',').map((h) => h.trim());
  for (const h of hosts) if (!/^[^\s:,/@]+:\d{1,5}$/.test(h)) throw new Error(`REDIS_SENTINELS: "${h}" is not host:port (expected host:port,host:port,…)`);
  let auth = '';
  const params = new URLSearchParams();
  if (s.REDIS_URL) {
    const u = new URL(s.REDIS_URL);
    if (u.username || u.password) auth = `${u.username}:${u.password}@`;
    const db = u.pathname.replace(/^\//, '');
    if (db) params.set('db', db);
    if (u.protocol === 'rediss:') params.set('tls', '1');
  }
  const query = params.toString();
  return `${SENTINEL_SCHEME}//${auth}${hosts.join(',')}/${encodeURIComponent(s.REDIS_SENTINEL_NAME)}${query ? `?${query}` : ''}`;
}

interface SentinelParts {
  username?: string;
  password?: string;
  hosts: { host: string; port: number }[];
  name: string;
  db?: number;
  tls: boolean;
}

function parseSentinel(target: string): SentinelParts | undefined {
  if (!target.startsWith(SENTINEL_SCHEME)) return undefined;
  const m = /^redis-sentinel:\/\/(?:([^:@/]*):([^@/]*)@)?([^/]+)\/([^?]+)(?:\?(.*))?$/.exec(target);
  if (!m) throw new Error('malformed Redis Sentinel target (set REDIS_SENTINELS and REDIS_SENTINEL_NAME instead of writing it)');
  const params = new URLSearchParams(m[5] ?? '');
  const hosts = (m[3] ?? '').split(',').map((h) => {
    const i = h.lastIndexOf(':');
    return { host: h.slice(0, i), port: Number(h.slice(i + 1)) };
  });
  const db = params.get('db');
  return {
    username: m[1] ? decodeURIComponent(m[1]) : undefined,
    password: m[2] ? decodeURIComponent(m[2]) : undefined,
    hosts,
    name: decodeURIComponent(m[4] ?? ''),
    db: db ? Number(db) : undefined,
    tls: params.get('tls') === '1',
  };
}

/** Extra CA certificates for `rediss:` (REDIS_TLS_CA), read once. */
let tlsCa: { path: string; pem: string } | undefined;
function tlsOptions(): RedisOptions['tls'] {
  const path = process.env.REDIS_TLS_CA;
  if (!path) return {};
  if (tlsCa?.path !== path) tlsCa = { path, pem: readFileSync(path, 'utf8') };
  return { ca: tlsCa.pem };
}

/** ioredis options for a target string (see the top of this file), merged over `base`. */
export function redisOptionsFor(target: string, base: RedisOptions = {}): RedisOptions {
  const sentinel = parseSentinel(target);
  if (sentinel) {
    return {
      ...base,
      sentinels: sentinel.hosts,
      name: sentinel.name,
      // Follow a failover as soon as the sentinels announce it (+switch-master), not on the next error.
      failoverDetector: true,
      username: sentinel.username,
      password: sentinel.password,
      db: sentinel.db,
      sentinelPassword: process.env.REDIS_SENTINEL_PASSWORD || undefined,
      ...(sentinel.tls ? { tls: tlsOptions(), enableTLSForSentinelMode: true } : {}),
    };
  }
  const u = new URL(target);
  const db = u.pathname.replace(/^\//, '');
  return {
    ...base,
    host: u.hostname.replace(/^\[|\]$/g, ''),
    port: u.port ? Number(u.port) : 6379,
    username: u.username ? decodeURIComponent(u.username) : undefined,
    password: u.password ? decodeURIComponent(u.password) : undefined,
    db: db ? Number(db) : undefined,
    ...(u.protocol === 'rediss:' ? { tls: { servername: u.hostname, ...tlsOptions() } } : {}),
  };
}

/** The address of a target without user and password, for logs. */
export function redisAddress(target: string): string {
  const sentinel = target.startsWith(SENTINEL_SCHEME) ? parseSentinel(target) : undefined;
  if (sentinel) return `sentinel ${sentinel.hosts.map((h) => `${h.host}:${h.port}`).join(',')} master ${sentinel.name}`;
  try {
    const u = new URL(target);
    return `${u.protocol}//${u.host}${u.pathname && u.pathname !== '/' ? u.pathname : ''}`;
  } catch {
    return '(unparsable REDIS_URL)';
  }
}
