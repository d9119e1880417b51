/**
 * The parent side of a bench worker process (worker-child.ts): start it, ask it for its memory,
 * wait for its messages, stop it. Workers run in their own process so their RSS is theirs alone.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface ChildMessage {
  type: string;
  [key: string]: unknown;
}

export interface MemoryReport {
  rss: number;
  heapUsed: number;
}

export interface BenchChild {
  pid: number;
  /** Resolves with the next message of this type. */
  next(type: string, timeoutMs?: number): Promise<ChildMessage>;
  /** Sends a command over IPC. */
  send(msg: Record<string, unknown>): void;
  /** RSS and heap, after a full GC in the child unless `gc` is false (for sampling peaks). */
  memory(gc?: boolean): Promise<MemoryReport>;
  /** CPU the child used so far (user + system), in microseconds. */
  cpu(): Promise<number>;
  /** Asks the child to close its worker and exit; kills it if it does not within 5 s. */
  stop(): Promise<void>;
}

const children = new Set<ChildProcess>();

/** Kills every child still running (used when the bench is aborted). */
export function killAllChildren(): void {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
}

export async function startChild(args: string[]): Promise<BenchChild> {
  const script = fileURLToPath(new URL('./worker-child.js', import.meta.url));
  const child = fork(script, args, { execArgv: ['--expose-gc'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  children.add(child);
  child.once('exit', () => children.delete(child));
  const waiting: { type: string; resolve: (m: ChildMessage) => void }[] = [];
  const early: ChildMessage[] = [];
  child.on('message', (raw) => {
    const msg = raw as ChildMessage;
    const idx = waiting.findIndex((w) => w.type === msg.type);
    if (idx >= 0) {
      const [w] = waiting.splice(idx, 1);
      w?.resolve(msg);
    } else early.push(msg);
  });
  const next = (type: string, timeoutMs = 120_000) =>
    new Promise<ChildMessage>((resolve, reject) => {
      const idx = early.findIndex((m) => m.type === type);
      if (idx >= 0) {
        const [m] = early.splice(idx, 1);
        if (m) return resolve(m);
      }
      const entry = {
        type,
        resolve: (m: ChildMessage) => {
          clearTimeout(timer);
          child.off('exit', onExit);
          resolve(m);
        },
      };
      // On timeout or exit the entry is withdrawn, so a late message cannot go to a dead waiter.
      const give = (err: Error) => {
        const idx = waiting.indexOf(entry);
        if (idx >= 0) waiting.splice(idx, 1);
        child.off('exit', onExit);
        reject(err);
      };
      const timer = setTimeout(() => give(new Error(`bench worker ${child.pid} sent no "${type}" within ${timeoutMs} ms`)), timeoutMs);
      const onExit = () => {
        clearTimeout(timer);
        give(new Error(`bench worker ${child.pid} exited while we waited for "${type}"`));
      };
      child.once('exit', onExit);
      waiting.push(entry);
    });
  await next('ready', 30_000);
  return {
    pid: child.pid ?? 0,
    next,
    send(msg) {
      child.send(msg);
    },
    async memory(gc = true) {
      child.send({ cmd: 'memory', gc });
      const m = await next('memory', 10_000);
      return { rss: Number(m.rss), heapUsed: Number(m.heapUsed) };
    },
    async cpu() {
      child.send({ cmd: 'cpu' });
      return Number((await next('cpu', 10_000)).micros);
    },
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.send({ cmd: 'stop' });
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}
