/** The run/status/transcript commands as a user runs them: a child process, exit codes, and no secret on screen. */
import { spawn } from 'node:child_process';
import { afterAll, describe, expect, it } from '@jest/globals';
import { mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadProject } from '../../src/config/load-project.js';
import { createEngine } from '../../src/engine/index.js';
import { silentLogger } from '../../src/lib/logger.js';
import { runChatops } from '../helpers/cli-child.js';
import { testRedis, testRedisUrl, uniquePrefix } from '../helpers/redis.js';

const prefix = uniquePrefix('enginecli');
const SECRET = 'tok-5ecr3t-value-77';

function chatops(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return runChatops(args, { REDIS_URL: testRedisUrl(), CHATOPS_PREFIX: prefix, CHATOPS_DIR: 'test/fixtures/engine-cli', CHATOPS_SECRET_KEY: 'cli-test-key', CHATOPS_USER: 'alice', LOG_LEVEL: 'warn', ...env });
}

describe('cli: run, status, transcript', () => {
  afterAll(async () => {
    const redis = testRedis();
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  });

  it('runs a workflow with --local, prints steps live and exits 0; status and transcript show it masked', async () => {
    const res = await chatops(['run', 'greet', '--local', '--input', 'who=ops', '--input', `token=${SECRET}`]);
    expect(res.stderr).not.toContain(SECRET);
    expect(res.code).toBe(0);
    const lines = res.stdout.split('\n');
    expect(lines[0]).toMatch(/^run r-[0-9a-z]{6}$/);
    expect(lines).toContain('    hello ops with ***');
    expect(lines.some((l) => /^✓ Say hello {2}\d+(ms|\.\ds)$/.test(l))).toBe(true);
    expect(res.stdout).toMatch(/succeeded in .*\n {2}msg = hi ops/);
    expect(res.stdout).not.toContain(SECRET);
    const runId = lines[0]?.slice(4) ?? '';

    const status = await chatops(['status', runId]);
    expect(status.code).toBe(0);
    expect(status.stdout.split('\n')[0]).toBe('status: succeeded');
    expect(status.stdout).toMatch(/hello: succeeded/);

    const transcript = await chatops(['transcript', runId]);
    expect(transcript.code).toBe(0);
    expect(transcript.stdout).toContain('`token=***`');
    expect(transcript.stdout).toContain('hello ops with ***');
    expect(transcript.stdout).toContain('shell:alice');
    expect(transcript.stdout).not.toContain(SECRET);
  });

  it('--json prints only the final record on stdout', async () => {
    const res = await chatops(['run', 'greet', '--local', '--json', '--input', `token=${SECRET}`]);
    expect(res.code).toBe(0);
    expect(res.stderr).toMatch(/^run r-[0-9a-z]{6}$/m);
    const record = JSON.parse(res.stdout) as { state: string; inputs: Record<string, unknown>; outputs: Record<string, string> };
    expect(record).toMatchObject({ state: 'succeeded', inputs: { token: '***', who: 'world' }, outputs: { msg: 'hi world' } });
    expect(res.stdout + res.stderr).not.toContain(SECRET);
  });

  it('exits 1 when the run fails, 2 for bad inputs and unknown runs', async () => {
    const failed = await chatops(['run', 'greet', '--local', '--input', `token=${SECRET}`, '--input', 'fail=true']);
    expect(failed.code).toBe(1);
    expect(failed.stdout).toMatch(/✗ Say hello {2}failed/);
    expect(failed.stdout).toMatch(/failed in .*: step hello failed: exit code 4/);
    const bad = await chatops(['run', 'greet', '--input', 'nope=1']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/nope: unknown input/);
    const unknown = await chatops(['status', 'r-zzzzzz']);
    expect(unknown.code).toBe(2);
  });

  it('cancel, approve, deny and transcript of an unknown run exit 2 with one line naming the command', async () => {
    for (const command of ['cancel', 'approve', 'deny', 'transcript']) {
      const res = await chatops([command, 'r-zzzzzz']);
      expect({ command, code: res.code }).toEqual({ command, code: 2 });
      expect(res.stderr).toMatch(new RegExp(`^chatops ${command}: .*r-zzzzzz`, 'm'));
      expect(res.stdout).toBe('');
    }
  });

  it('cancel of a run that already ended exits 1 and says how it ended', async () => {
    const done = await chatops(['run', 'greet', '--local', '--input', `token=${SECRET}`]);
    const runId = /^run (r-[0-9a-z]{6})$/m.exec(done.stdout + done.stderr)?.[1] ?? '';
    const res = await chatops(['cancel', runId]);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain(`run ${runId} already ended: succeeded`);
  });

  it('says so when no worker is running instead of waiting silently', async () => {
    const child = spawn(process.execPath, ['bin/chatops.js', 'run', 'greet', '--input', 'token=x'], {
      env: { ...process.env, NODE_OPTIONS: '', REDIS_URL: testRedisUrl(), CHATOPS_PREFIX: `${prefix}-noworker`, CHATOPS_DIR: 'test/fixtures/engine-cli', CHATOPS_SECRET_KEY: 'k', LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    const said = new Promise<void>((resolve) => {
      child.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
        if (stderr.includes('no worker is running')) resolve();
      });
    });
    await said;
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    expect(stderr).toContain('start one with `chatops worker`');
    const redis = testRedis();
    const keys = await redis.keys(`${prefix}-noworker*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  });
});

describe('cli: a policy file that cannot be used fails closed', () => {
  let dir: string;
  const gatePrefix = `${prefix}-gate`;
  const engine = { current: undefined as ReturnType<typeof createEngine> | undefined };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'chatops-cli-policy-'));
    await mkdir(join(dir, 'workflows'));
    // An approval that names no role: with a working policy anyone but the requester may give it.
    await writeFile(join(dir, 'workflows', 'gate.yaml'), 'name: gate\nsteps:\n  - id: ok\n    approval: { message: "go?" }\n');
    await writeFile(join(dir, 'policy.yaml'), 'roles:\n  sre: { members: [shell:bob] }\n');
    engine.current = createEngine({ redisUrl: testRedisUrl(), prefix: gatePrefix, project: await loadProject(dir), log: silentLogger });
  });
  afterAll(async () => {
    await engine.current?.close();
    await rm(dir, { recursive: true, force: true });
    const redis = testRedis();
    const keys = await redis.keys(`${gatePrefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  });

  it('approve and deny refuse to decide, and run refuses to start, while policy.yaml is misnamed', async () => {
    const eng = engine.current;
    if (!eng) throw new Error('no engine');
    const { run } = await eng.startRun({ workflow: 'gate', inputs: {}, trigger: { kind: 'cli', source: 'cli', requester: 'shell:alice' } });
    await rename(join(dir, 'policy.yaml'), join(dir, 'policy.yml'));
    const env = { CHATOPS_DIR: dir, CHATOPS_PREFIX: gatePrefix };
    for (const command of ['approve', 'deny']) {
      const res = await chatops([command, run.id, '--as', 'mallory'], env);
      expect({ command, code: res.code }).toEqual({ command, code: 1 });
      expect(res.stderr).toMatch(/policy\.yml:1:1: a policy file must be named exactly policy\.yaml/);
      expect(res.stderr).toContain(`chatops ${command}: the policy file cannot be used`);
      expect(res.stdout).toBe('');
    }
    expect((await eng.getRun(run.id))?.steps[0]?.approval?.decisions ?? []).toEqual([]);
    const started = await chatops(['run', 'gate', '--local'], env);
    expect(started.code).toBe(1);
    expect(started.stderr).toContain('chatops run: the policy file cannot be used');
    expect(started.stdout).not.toMatch(/^run r-/m);

    // Named right again, the same decision counts: it was the broken file that refused it.
    await rename(join(dir, 'policy.yml'), join(dir, 'policy.yaml'));
    const ok = await chatops(['approve', run.id, '--as', 'mallory'], env);
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
  }, 120_000);
});
