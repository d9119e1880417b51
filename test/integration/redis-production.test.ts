/**
 * Issue 14, Redis as production runs it, on real redis-servers of this file's own:
 * - the start-up check: maxmemory-policy other than noeviction is refused (naming the setting and
 *   the fix), CONFIG disabled or denied by an ACL is said and tolerated, persistence off is a
 *   warning outside dev mode; an ACL user and password in the URL are used;
 * - `chatops worker` refuses to start on an evicting Redis (exit 1, one line);
 * - a redis-server killed mid-run and restarted with AOF on (appendfsync always): every run ends
 *   with its final status;
 * - TLS: runs go through a redis-server that listens with TLS (`rediss://`, a CA made here by
 *   openssl and trusted through REDIS_TLS_CA); without that CA the connection is refused.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from '@jest/globals';
import { silentLogger } from '../../src/lib/logger.js';
import { freePort, startPrivateRedis, type PrivateRedis } from '../../src/lib/private-redis.js';
import { closeRedis, connectRedis } from '../../src/lib/redis-connect.js';
import { checkRedisConfig, RedisConfigError } from '../../src/lib/redis-preflight.js';
import { FINAL, harness, workflowsFrom, cli, type Harness } from '../helpers/engine-harness.js';

const servers: PrivateRedis[] = [];
const harnesses: Harness[] = [];
async function server(args: string[] = [], opts: { port?: number; dir?: string } = {}): Promise<PrivateRedis> {
  const s = await startPrivateRedis({ ...opts, args });
  servers.push(s);
  return s;
}

afterEach(async () => {
  for (const h of harnesses.splice(0)) await h.close();
  for (const s of servers.splice(0)) await s.stop();
});

async function check(url: string, devMode = false) {
  const conn = connectRedis(url, silentLogger, { maxRetriesPerRequest: 1 });
  try {
    return await checkRedisConfig(conn, { devMode });
  } finally {
    await closeRedis(conn);
  }
}

describe('the Redis start-up check', () => {
  it('refuses a Redis that may evict keys, naming the setting and the fix', async () => {
    const s = await server(['--maxmemory-policy', 'allkeys-lru']);
    const err = await check(s.url).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RedisConfigError);
    expect((err as Error).message).toMatch(/maxmemory-policy allkeys-lru/);
    expect((err as Error).message).toMatch(/set `maxmemory-policy noeviction` in redis\.conf/);
  });

  it('passes noeviction with AOF on, and warns about persistence off outside dev mode only', async () => {
    const aof = await server(['--appendonly', 'yes']);
    expect(await check(aof.url)).toEqual({ warnings: [], unchecked: [] });
    const none = await server();
    const off = await check(none.url);
    expect(off.warnings).toEqual([expect.stringMatching(/^Redis persistence is off \(appendonly no and no RDB save points\)/)]);
    expect(await check(none.url, true)).toEqual({ warnings: [], unchecked: [] });
    const rdb = await server(['--save', '900 1']);
    expect((await check(rdb.url)).warnings).toEqual([]);
  });

  it('says it could not check when CONFIG is disabled, and starts', async () => {
    const s = await server(['--rename-command', 'CONFIG', '']);
    const res = await check(s.url);
    expect(res.warnings).toEqual([]);
    expect(res.unchecked).toEqual([expect.stringMatching(/^could not check maxmemory-policy \(CONFIG GET was refused: ERR unknown command/), expect.stringMatching(/^could not check persistence/)]);
  });

  it('connects as an ACL user with its password from the URL, and says it could not check when the ACL denies CONFIG', async () => {
    const s = await server(['--appendonly', 'yes']);
    const admin = connectRedis(s.url, silentLogger);
    await admin.call('ACL', 'SETUSER', 'bot', 'on', '>s3cret-pw', '~*', '&*', '+@all', '-config');
    await admin.call('ACL', 'SETUSER', 'default', 'off');
    await closeRedis(admin);
    const url = s.url.replace('redis://', 'redis://bot:s3cret-pw@');
    const res = await check(url);
    expect(res.unchecked[0]).toMatch(/^could not check maxmemory-policy \(CONFIG GET was refused: NOPERM/);
    const conn = connectRedis(url, silentLogger);
    expect(await conn.call('ACL', 'WHOAMI')).toBe('bot');
    await closeRedis(conn);
    const wrong = connectRedis(s.url.replace('redis://', 'redis://bot:wrong@'), silentLogger, { maxRetriesPerRequest: 0, retryStrategy: () => null });
    await expect(wrong.ping()).rejects.toThrow();
    wrong.disconnect();
  });

  it('`chatops worker` refuses to start on an evicting Redis: exit 1 and one line with the fix', async () => {
    const s = await server(['--maxmemory-policy', 'volatile-lru']);
    const res = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, ['bin/chatops.js', 'worker'], {
        env: { ...process.env, NODE_OPTIONS: '', REDIS_URL: s.url, CHATOPS_DIR: 'test/fixtures/engine-cli', LOG_LEVEL: 'warn' },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.once('exit', (code) => resolve({ code, stderr }));
    });
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/^chatops worker: E_REDIS_EVICTION: Redis has maxmemory-policy volatile-lru/m);
  }, 60_000);
});

const STEADY = `
name: steady
steps:
  - id: one
    safe_to_retry: true
    run: sleep 1
  - id: two
    needs: one
    safe_to_retry: true
    run: echo two
`;

describe('a redis-server restarted mid-run with AOF on', () => {
  it('every run ends with its final status', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'chatops-aof-'));
    const aofArgs = ['--appendonly', 'yes', '--appendfsync', 'always'];
    const s = await server(aofArgs, { dir });
    const h = await harness(workflowsFrom(STEADY), { engine: { redisUrl: s.url }, workers: 1 });
    harnesses.push(h);
    const ids: string[] = [];
    for (let i = 0; i < 10; i++) ids.push((await h.engine.startRun({ workflow: 'steady', inputs: {}, trigger: cli })).run.id);
    await h.waitStep(ids[0] ?? '', 'one', ['running', 'succeeded'], 30_000);
    // A crash, not a clean shutdown: nothing is saved on the way out; the AOF has every write.
    process.kill(s.pid, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 1000));
    servers.splice(servers.indexOf(s), 1);
    await server(aofArgs, { dir, port: s.port });
    const ends = await Promise.all(ids.map((id) => h.waitFor(id, FINAL, 60_000)));
    const states = ends.map((r) => r.state);
    expect(states.every((st) => FINAL.includes(st))).toBe(true);
    // Steps are marked safe_to_retry: one cut short by the restart is tried again, so all succeed.
    expect(states).toEqual(ids.map(() => 'succeeded'));
    rmSync(dir, { recursive: true, force: true });
  }, 120_000);
});

/** A CA and a server certificate for 127.0.0.1, made with openssl in `dir`. */
function makeCerts(dir: string): void {
  const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
  ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '1', '-subj', '/CN=chatops-test-ca');
  ssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1');
  writeFileSync(join(dir, 'ext'), 'subjectAltName=IP:127.0.0.1\n');
  ssl('x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.crt', '-days', '1', '-extfile', 'ext');
}

describe('Redis over TLS', () => {
  const saved = process.env.REDIS_TLS_CA;
  afterEach(() => {
    if (saved === undefined) delete process.env.REDIS_TLS_CA;
    else process.env.REDIS_TLS_CA = saved;
  });

  it('runs a workflow through rediss:// with a private CA, and refuses the server without it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'chatops-tls-'));
    makeCerts(dir);
    const tlsPort = await freePort();
    await server(['--tls-port', String(tlsPort), '--tls-cert-file', join(dir, 'server.crt'), '--tls-key-file', join(dir, 'server.key'), '--tls-ca-cert-file', join(dir, 'ca.crt'), '--tls-auth-clients', 'no']);
    const url = `rediss://127.0.0.1:${tlsPort}`;
    const untrusted = connectRedis(url, silentLogger, { maxRetriesPerRequest: 0, retryStrategy: () => null });
    await expect(untrusted.ping()).rejects.toThrow();
    untrusted.disconnect();
    process.env.REDIS_TLS_CA = join(dir, 'ca.crt');
    expect(await check(url, true)).toEqual({ warnings: [], unchecked: [] });
    const h = await harness(workflowsFrom(STEADY), { engine: { redisUrl: url }, workers: 1 });
    harnesses.push(h);
    const { run } = await h.engine.startRun({ workflow: 'steady', inputs: {}, trigger: cli });
    expect((await h.waitFor(run.id, FINAL, 30_000)).state).toBe('succeeded');
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);
});
