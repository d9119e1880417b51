import { spawn } from 'node:child_process';
import { orphanGuard, startOrphanGuard } from '../../src/actions/orphan-guard.js';
import { processGone } from '../../src/actions/process-group.js';
import { BASH, runShell } from '../../src/actions/shell.js';
import { eventually, testContext } from './actions-context.js';

/** A detached `sleep` leading its own group, like a shell step's bash. */
function detachedSleep(): number {
  const child = spawn('sleep', ['100'], { detached: true, stdio: 'ignore' });
  child.unref();
  if (child.pid === undefined) throw new Error('could not start sleep');
  return child.pid;
}

function killIfAlive(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

describe('orphan guard', () => {
  it('kills registered groups when the worker end of its pipe closes (as when the worker dies)', async () => {
    const guard = startOrphanGuard(BASH);
    const pid = detachedSleep();
    try {
      guard.register(pid);
      expect(processGone(pid)).toBe(false);
      guard.close();
      await eventually(() => processGone(pid), 10_000, 'the registered group to be killed');
      await eventually(() => processGone(guard.pid), 10_000, 'the guard to exit');
    } finally {
      killIfAlive(pid);
    }
  });

  it('leaves unregistered groups alone', async () => {
    const guard = startOrphanGuard(BASH);
    const pid = detachedSleep();
    try {
      guard.register(pid);
      guard.unregister(pid);
      guard.close();
      await eventually(() => processGone(guard.pid), 10_000, 'the guard to exit');
      expect(processGone(pid)).toBe(false);
    } finally {
      killIfAlive(pid);
    }
  });

  it('is a watchdog: kills registered groups with SIGKILL when a deadline passes without a new one, not while it is renewed', async () => {
    const guard = startOrphanGuard(BASH);
    const renewed = detachedSleep();
    const lapsed = detachedSleep();
    try {
      guard.register(renewed);
      for (let i = 0; i < 6; i++) {
        guard.deadline(400);
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(processGone(renewed)).toBe(false);
      guard.unregister(renewed);
      guard.register(lapsed);
      guard.deadline(300);
      await eventually(() => processGone(lapsed), 5_000, 'the group to be killed at the deadline');
      expect(processGone(renewed)).toBe(false);
      expect(guard.alive()).toBe(true); // it goes on guarding
      guard.deadline(0);
      guard.register(renewed);
      await new Promise((r) => setTimeout(r, 500));
      expect(processGone(renewed)).toBe(false);
      guard.unregister(renewed);
      guard.close();
    } finally {
      killIfAlive(renewed);
      killIfAlive(lapsed);
    }
  });

  it('guards a running shell step, and a new guard starts after one died', async () => {
    const ctx = testContext();
    const pending = runShell('echo $$\nsleep 100', ctx);
    await eventually(() => ctx.stdout().length > 0, 10_000, 'the step to start');
    const guard = orphanGuard(BASH);
    guard.close(); // the worker "dies": the guard kills the step's group
    const result = await pending;
    expect(result).toMatchObject({ ok: false, exitCode: 143, error: 'exit code 143 (killed by SIGTERM)' });
    expect(processGone(Number(ctx.stdout()[0]))).toBe(true);
    await eventually(() => !guard.alive(), 10_000, 'the old guard to exit');
    const next = testContext();
    expect((await runShell('echo again', next)).ok).toBe(true);
    expect(orphanGuard(BASH).pid).not.toBe(guard.pid);
  });
});
