/**
 * The `run:` action: a bash script in its own process group.
 *
 * bash runs with `--noprofile --norc -eo pipefail` (as GitHub Actions does) from a private temp
 * file, so scripts of any size work and nothing from the worker's dotfiles leaks in. The
 * environment is exactly ctx.env plus CHATOPS_OUTPUT, with PATH and HOME defaulted from the
 * worker when ctx.env has none. Output is streamed line by line (see line-splitter.ts). On abort
 * (timeout or cancel) the whole group gets SIGTERM, then SIGKILL after KILL_GRACE_MS (at once when
 * the worker lost its step lease: another worker may soon run the step, see abortIsUrgent). When the
 * script ends normally, background processes it left in its group are stopped the same way: a
 * step is atomic and leaves nothing behind (use `setsid` to start something that must outlive it).
 * If the worker itself dies mid-step, orphan-guard.ts kills the group.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { stat, writeFile } from 'node:fs/promises';
import { constants, homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { LineSplitter } from './line-splitter.js';
import { createOutputsFile, describeProblems } from './outputs-file.js';
import { orphanGuard } from './orphan-guard.js';
import { KILL_GRACE_MS, signalGroup, terminateGroup } from './process-group.js';
import { abortedResult, abortIsUrgent, type ActionContext, type ActionResult } from './types.js';

const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
/**
 * After bash and its group are gone, the pipes are read until they close. A process that escaped
 * the group (setsid) may hold them open: reading stops once they were idle this long, or at the
 * latest PIPE_DRAIN_MAX_MS after the exit.
 */
const PIPE_IDLE_MS = 500;
const PIPE_DRAIN_MAX_MS = 10_000;

/** An absolute bash, so a step's own PATH cannot make bash itself unfindable. */
export const BASH = ['/bin/bash', '/usr/bin/bash', '/usr/local/bin/bash'].find((p) => existsSync(p)) ?? 'bash';

export interface ShellOptions {
  /** Working directory; the worker's current directory when absent. */
  cwd?: string;
}

function exitCodeOf(code: number | null, signal: NodeJS.Signals | null): number {
  if (code !== null) return code;
  const num = signal ? constants.signals[signal] : undefined;
  return num === undefined ? 1 : 128 + num;
}

/** Resolves true when the pipes closed, false when `idle()` held or PIPE_DRAIN_MAX_MS passed first. */
async function drain(closed: Promise<unknown>, idle: () => boolean): Promise<boolean> {
  let done = false;
  void closed.then(() => {
    done = true;
  });
  const deadline = Date.now() + PIPE_DRAIN_MAX_MS;
  while (!done) {
    if (idle() || Date.now() > deadline) return false;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 50);
      void closed.then(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
  return true;
}

export async function runShell(script: string, ctx: ActionContext, opts: ShellOptions = {}): Promise<ActionResult> {
  if (ctx.signal.aborted) return abortedResult(ctx.signal);
  if (opts.cwd !== undefined) {
    const dir = await stat(opts.cwd).catch(() => undefined);
    if (!dir?.isDirectory()) return { ok: false, outputs: {}, error: `working directory ${opts.cwd} does not exist or is not a directory` };
  }
  // spawn() would throw, quoting the value (maybe a secret): name the variable instead.
  for (const [name, value] of Object.entries(ctx.env)) {
    if (name.includes('\0') || value.includes('\0')) return { ok: false, outputs: {}, error: `environment variable ${name.replace(/\0/g, '\\0')} contains a NUL byte, which no process environment can hold` };
    if (name === '' || name.includes('=')) return { ok: false, outputs: {}, error: `invalid environment variable name "${name}"` };
  }
  const outputsFile = await createOutputsFile();
  try {
    const scriptPath = join(dirname(outputsFile.path), 'script.sh');
    await writeFile(scriptPath, script, { mode: 0o600 });
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? DEFAULT_PATH,
      HOME: process.env.HOME ?? homedir(),
      ...ctx.env,
      CHATOPS_OUTPUT: outputsFile.path,
    };
    const started = Date.now();
    const child = spawn(BASH, ['--noprofile', '--norc', '-eo', 'pipefail', scriptPath], {
      cwd: opts.cwd,
      env,
      detached: true, // own process group: the group id is child.pid
      stdio: ['ignore', 'pipe', 'pipe'],
    });

    const spawnError = new Promise<Error>((resolve) => child.once('error', resolve));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.once('exit', (code, signal) => resolve({ code, signal })),
    );
    let lastActivity = Date.now();
    let paused = 0;
    let sinkFailed = false;
    const streamsClosed = Promise.all(
      [
        { stream: child.stdout, name: 'stdout' as const },
        { stream: child.stderr, name: 'stderr' as const },
      ].map(
        ({ stream, name }) =>
          new Promise<void>((resolve) => {
            let full: Promise<void> | undefined;
            const splitter = new LineSplitter((line) => {
              let pending: void | Promise<void> = undefined;
              try {
                pending = ctx.output(line, name);
              } catch (err) {
                // A throwing sink must not crash the worker from inside a stream callback.
                if (!sinkFailed) ctx.log.error({ err }, 'output sink failed; further lines of this step may be lost');
                sinkFailed = true;
              }
              if (pending !== undefined) full = pending;
            }, undefined, ctx.outputBudget);
            stream.on('data', (chunk: Buffer) => {
              lastActivity = Date.now();
              splitter.push(chunk);
              if (full === undefined) return;
              // The sink is full: stop reading until it drains (the child blocks on its pipe).
              const wait = full;
              full = undefined;
              stream.pause();
              paused += 1;
              const resume = () => {
                paused -= 1;
                lastActivity = Date.now();
                stream.resume();
              };
              wait.then(resume, resume);
            });
            stream.once('close', () => {
              splitter.end();
              resolve();
            });
          }),
      ),
    );

    const pid = child.pid;
    if (pid === undefined) {
      const err = await spawnError;
      return { ok: false, outputs: {}, error: `could not start bash: ${err.message}` };
    }
    const log = ctx.log.child({ pid });
    log.debug('shell step started');
    // If this worker dies mid-step, the guard kills the group (it is detached, so nothing else would).
    const guard = orphanGuard(BASH);
    guard.register(pid);

    let killTimer: NodeJS.Timeout | undefined;
    let abortedAt = 0;
    const onAbort = () => {
      abortedAt = Date.now();
      if (abortIsUrgent(ctx.signal)) {
        log.warn({ reason: String(ctx.signal.reason) }, 'stopping shell step: SIGKILL to its process group');
        signalGroup(pid, 'SIGKILL');
        abortedAt -= KILL_GRACE_MS; // no grace for leftovers either
        return;
      }
      log.info({ reason: String(ctx.signal.reason) }, 'stopping shell step: SIGTERM to its process group');
      signalGroup(pid, 'SIGTERM');
      killTimer = setTimeout(() => signalGroup(pid, 'SIGKILL'), KILL_GRACE_MS);
    };
    ctx.signal.addEventListener('abort', onAbort, { once: true });
    if (ctx.signal.aborted && abortedAt === 0) onAbort(); // aborted while spawning

    let exit: { code: number | null; signal: NodeJS.Signals | null };
    try {
      exit = await exited;
      // Leftovers in the group: background jobs the script did not wait for, or ones that
      // ignored SIGTERM on cancel. Either way they must not outlive the step.
      const grace = abortedAt > 0 ? Math.max(0, abortedAt + KILL_GRACE_MS - Date.now()) : KILL_GRACE_MS;
      const left = await terminateGroup(pid, grace);
      if (left > 0 && !ctx.signal.aborted) ctx.output(`[chatops] stopped ${left} background process(es) the step left running`, 'stderr');
      const drained = await drain(streamsClosed, () => paused === 0 && Date.now() - lastActivity >= PIPE_IDLE_MS);
      if (!drained) {
        // A process outside the group (setsid) still holds the pipes: stop reading, keep what we have.
        child.stdout.destroy();
        child.stderr.destroy();
        await streamsClosed;
      }
    } finally {
      ctx.signal.removeEventListener('abort', onAbort);
      if (killTimer) clearTimeout(killTimer);
      guard.unregister(pid);
    }

    const exitCode = exitCodeOf(exit.code, exit.signal);
    const parsed = await outputsFile.read();
    log.debug({ exitCode, durationMs: Date.now() - started }, 'shell step ended');
    if (ctx.signal.aborted) return abortedResult(ctx.signal, { exitCode, outputs: parsed.outputs });
    if (exitCode !== 0) {
      if (!parsed.ok) ctx.output(`[chatops] ${describeProblems(parsed.problems)}`, 'stderr');
      const how = exit.signal ? ` (killed by ${exit.signal})` : '';
      return { ok: false, outputs: parsed.outputs, exitCode, error: `exit code ${exitCode}${how}` };
    }
    if (!parsed.ok) return { ok: false, outputs: parsed.outputs, exitCode, error: describeProblems(parsed.problems) };
    return { ok: true, outputs: parsed.outputs, exitCode };
  } finally {
    await outputsFile.remove();
  }
}
