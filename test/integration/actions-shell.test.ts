import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_MAX_LINE_BYTES, TRUNCATED_MARKER } from '../../src/actions/line-splitter.js';
import { processGone } from '../../src/actions/process-group.js';
import { runShell } from '../../src/actions/shell.js';
import { eventually, testContext } from './actions-context.js';

describe('runShell', () => {
  it('streams stdout and stderr lines and records exit code 0', async () => {
    const ctx = testContext();
    const result = await runShell('echo one\necho two >&2\nprintf "no newline"', ctx);
    expect(result).toEqual({ ok: true, outputs: {}, exitCode: 0 });
    expect(ctx.stdout()).toEqual(['one', 'no newline']);
    expect(ctx.stderr()).toEqual(['two']);
  });

  it('gives the script exactly ctx.env plus CHATOPS_OUTPUT, PATH and HOME', async () => {
    process.env.CHATOPS_TEST_LEAK = 'worker-only';
    try {
      const ctx = testContext({ GREETING: 'hi there', INPUT_SERVICE: 'api' });
      const result = await runShell('env | cut -d= -f1 | sort', ctx);
      expect(result.ok).toBe(true);
      const names = ctx.stdout().filter((n) => !['PWD', 'SHLVL', '_', 'OLDPWD'].includes(n)); // set by bash itself
      expect(names).toEqual(['CHATOPS_OUTPUT', 'GREETING', 'HOME', 'INPUT_SERVICE', 'PATH']);
    } finally {
      delete process.env.CHATOPS_TEST_LEAK;
    }
  });

  it('lets ctx.env override PATH and still finds bash', async () => {
    const ctx = testContext({ PATH: '/nonexistent' });
    const result = await runShell('echo "$PATH"', ctx);
    expect(result.ok).toBe(true);
    expect(ctx.stdout()).toEqual(['/nonexistent']);
  });

  it('runs with -e and pipefail', async () => {
    const e = testContext();
    expect(await runShell('false\necho never', e)).toMatchObject({ ok: false, exitCode: 1, error: 'exit code 1' });
    expect(e.stdout()).toEqual([]);
    const pipe = testContext();
    expect(await runShell('false | true\necho never', pipe)).toMatchObject({ ok: false, exitCode: 1 });
  });

  it('records a non-zero exit code, and a syntax error as exit 2', async () => {
    expect(await runShell('exit 3', testContext())).toMatchObject({ ok: false, exitCode: 3, error: 'exit code 3' });
    const syntax = testContext();
    expect(await runShell('if then fi', syntax)).toMatchObject({ ok: false, exitCode: 2 });
    expect(syntax.stderr().join('\n')).toMatch(/syntax error/);
  });

  it('reads outputs from $CHATOPS_OUTPUT, one-line and multi-line, and removes the file', async () => {
    const ctx = testContext();
    const script = [
      'echo "$CHATOPS_OUTPUT"',
      'echo "pid=1234" >> "$CHATOPS_OUTPUT"',
      'echo "url=http://x/?a=b" >> "$CHATOPS_OUTPUT"',
      '{ echo "notes<<EOF"; printf "first\\nsecond\\n"; echo EOF; } >> "$CHATOPS_OUTPUT"',
    ].join('\n');
    const result = await runShell(script, ctx);
    expect(result).toEqual({ ok: true, exitCode: 0, outputs: { pid: '1234', url: 'http://x/?a=b', notes: 'first\nsecond' } });
    const path = ctx.stdout()[0] ?? '';
    expect(path).toMatch(/chatops-step-/);
    expect(existsSync(path)).toBe(false);
  });

  it('fails a step that exits 0 but wrote a malformed outputs file, naming the line', async () => {
    const result = await runShell('echo "ok=1" >> "$CHATOPS_OUTPUT"; echo "oops" >> "$CHATOPS_OUTPUT"', testContext());
    expect(result).toMatchObject({ ok: false, exitCode: 0, outputs: { ok: '1' } });
    expect(result.error).toBe('CHATOPS_OUTPUT is malformed: line 2: expected key=value or key<<DELIMITER, got "oops"');
  });

  it('keeps outputs of a failed step and reports a malformed file on stderr', async () => {
    const ctx = testContext();
    const result = await runShell('echo "a=1" >> "$CHATOPS_OUTPUT"; echo "b<<X" >> "$CHATOPS_OUTPUT"; exit 4', ctx);
    expect(result).toMatchObject({ ok: false, exitCode: 4, outputs: { a: '1' }, error: 'exit code 4' });
    expect(ctx.stderr().join('\n')).toMatch(/no line "X" closes/);
  });

  it('streams 100,000 lines to a counting sink, in order', async () => {
    let count = 0;
    let last = '';
    let inOrder = true;
    const ctx = testContext({}, (line) => {
      count += 1;
      if (line !== String(count)) inOrder = false;
      last = line;
    });
    const result = await runShell('seq 1 100000', ctx);
    expect(result.ok).toBe(true);
    expect(count).toBe(100_000);
    expect(inOrder).toBe(true);
    expect(last).toBe('100000');
  });

  it('stops reading while the output sink is full, so a fast printer blocks instead of filling memory', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'chatops-bp-'));
    const marker = join(dir, 'done');
    let received = 0;
    let release: () => void = () => undefined;
    const full = new Promise<void>((resolve) => (release = resolve));
    const ctx = testContext({ MARKER: marker }, () => {
      received += 1;
      return received === 1 ? full : undefined; // full after the first line, until released
    });
    try {
      const pending = runShell('seq 1 200000\ntouch "$MARKER"', ctx);
      await eventually(() => received > 0, 10_000, 'first line');
      await new Promise((r) => setTimeout(r, 300));
      // 1.3 MB of lines cannot fit in the pipe and what was read before the pause: the script is blocked.
      expect(existsSync(marker)).toBe(false);
      expect(received).toBeLessThan(200_000);
      release();
      const result = await pending;
      expect(result.ok).toBe(true);
      expect(received).toBe(200_000);
      expect(existsSync(marker)).toBe(true);
    } finally {
      release();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('survives an output sink that throws', async () => {
    const ctx = testContext({}, () => {
      throw new Error('sink broke');
    });
    expect(await runShell('echo a; echo b >&2; exit 5', ctx)).toMatchObject({ ok: false, exitCode: 5 });
  });

  it('caps an endless line and handles binary junk and CRLF', async () => {
    const ctx = testContext();
    const result = await runShell("head -c 3000000 /dev/zero | tr '\\0' x; echo; printf 'a\\r\\n\\000\\377b\\n'", ctx);
    expect(result.ok).toBe(true);
    const lines = ctx.stdout();
    expect(lines).toHaveLength(3);
    expect(lines[0]?.endsWith(TRUNCATED_MARKER)).toBe(true);
    expect(lines[0]?.length).toBe(DEFAULT_MAX_LINE_BYTES + TRUNCATED_MARKER.length);
    expect(lines.slice(1)).toEqual(['a', '\uFFFD\uFFFDb']);
  });

  it('runs scripts larger than one argv string may be (128 KiB)', async () => {
    const script = `${'# padding\n'.repeat(20_000)}echo big`;
    const ctx = testContext();
    expect((await runShell(script, ctx)).ok).toBe(true);
    expect(ctx.stdout()).toEqual(['big']);
  });

  it('runs in the working directory given, and refuses a missing one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'chatops-cwd-'));
    try {
      const ctx = testContext();
      expect((await runShell('pwd', ctx, { cwd: dir })).ok).toBe(true);
      expect(ctx.stdout()).toEqual([dir]);
      expect(await runShell('pwd', testContext(), { cwd: join(dir, 'missing') })).toMatchObject({ ok: false, error: expect.stringMatching(/working directory .*missing does not exist/) });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses an environment no process can hold, without quoting the value', async () => {
    const result = await runShell('true', testContext({ TOKEN: 'sec\0ret' }));
    expect(result).toEqual({ ok: false, outputs: {}, error: 'environment variable TOKEN contains a NUL byte, which no process environment can hold' });
  });

  it('does not start when the signal is already aborted', async () => {
    const ctx = testContext();
    ctx.controller.abort();
    const result = await runShell('echo started', ctx);
    expect(result).toMatchObject({ ok: false, cancelled: true });
    expect(ctx.lines).toEqual([]);
  });
});

describe('runShell cancel and timeout', () => {
  /** Starts a script that prints pids then waits; resolves once `pidCount` pids are printed. */
  async function startAndWaitForPids(script: string, pidCount: number, reason?: unknown) {
    const ctx = testContext();
    const pending = runShell(script, ctx);
    await eventually(() => ctx.stdout().length >= pidCount, 10_000, 'pids printed');
    const pids = ctx.stdout().slice(0, pidCount).map(Number);
    for (const pid of pids) expect(processGone(pid)).toBe(false);
    ctx.controller.abort(reason);
    const result = await pending;
    return { result, pids };
  }

  it('kills the whole process group on cancel, grandchildren included', async () => {
    const { result, pids } = await startAndWaitForPids('echo $$\nsleep 100 &\necho $!\nwait', 2);
    // No reason given (plain abort()): the generic message.
    expect(result).toMatchObject({ ok: false, cancelled: true, error: 'step cancelled', exitCode: 143 });
    // runShell resolved: by then nothing of the group may still run.
    for (const pid of pids) expect(processGone(pid)).toBe(true);
  });

  it('SIGKILLs processes that ignore SIGTERM after the grace period', async () => {
    const script = "trap '' TERM\necho $$\nbash -c 'trap \"\" TERM; echo $$; sleep 100' &\nwait";
    const { result, pids } = await startAndWaitForPids(script, 2, new Error('run cancelled by slack:U1'));
    expect(result).toMatchObject({ cancelled: true, error: 'run cancelled by slack:U1' });
    expect(result.exitCode).toBe(137);
    for (const pid of pids) expect(processGone(pid)).toBe(true);
  });

  it('reports a TimeoutError abort as timedOut', async () => {
    const { result, pids } = await startAndWaitForPids('echo $$\nsleep 100', 1, new DOMException('step timed out after 2m', 'TimeoutError'));
    expect(result).toMatchObject({ ok: false, timedOut: true, error: 'step timed out after 2m' });
    expect(result.cancelled).toBeUndefined();
    expect(processGone(pids[0] ?? 0)).toBe(true);
  });

  it('stops background processes a finished script left behind, and says so', async () => {
    const ctx = testContext();
    const result = await runShell('sleep 100 &\necho $!', ctx);
    expect(result).toMatchObject({ ok: true, exitCode: 0 });
    expect(processGone(Number(ctx.stdout()[0]))).toBe(true);
    expect(ctx.stderr()).toEqual(['[chatops] stopped 1 background process(es) the step left running']);
  });

  it('does not hang on a process that escaped the group but holds the pipe', async () => {
    const ctx = testContext();
    // setsid keeps the pid of the (non-leader) background child; wait until it has left the group.
    const result = await runShell('setsid sleep 30 &\npid=$!\nsleep 0.2\necho $pid', ctx);
    expect(result.ok).toBe(true);
    const pid = Number(ctx.stdout()[0]);
    expect(processGone(pid)).toBe(false); // it escaped, so it still runs: we stopped reading instead of hanging
    process.kill(pid, 'SIGKILL');
  });
});
