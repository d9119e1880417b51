/**
 * Makes sure a step's processes die with the worker. Shell steps run detached (their own process
 * group, so cancel can kill the whole group), which also means a SIGKILLed worker would leave them
 * running, and the retry on another worker would then run beside them.
 *
 * One small bash process per worker (the guard, itself detached) reads `+PGID` / `-PGID` lines from
 * a pipe whose other end only the worker holds. When the worker dies, however it dies, the kernel
 * closes that pipe; the guard reads EOF and sends SIGTERM, then SIGKILL a second later, to every
 * group still registered. While the worker lives, the guard costs one blocked `read`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { Socket } from 'node:net';

const GUARD_SCRIPT = [
  'declare -A groups',
  'while IFS= read -r line; do',
  '  case "$line" in',
  '    +*) groups["${line:1}"]=1 ;;',
  '    -*) unset "groups[${line:1}]" ;;',
  '  esac',
  'done',
  '[ "${#groups[@]}" -eq 0 ] && exit 0',
  'for g in "${!groups[@]}"; do kill -TERM -- "-$g" 2>/dev/null; done',
  'sleep 1',
  'for g in "${!groups[@]}"; do kill -KILL -- "-$g" 2>/dev/null; done',
  'exit 0',
].join('\n');

export interface OrphanGuard {
  readonly pid: number;
  /** False once the guard process exited (killed by someone): start another. */
  alive(): boolean;
  /** Kill this process group if the worker dies before unregister(). */
  register(pgid: number): void;
  unregister(pgid: number): void;
  /** Closes the pipe as a dying worker would (the guard then kills what is still registered). */
  close(): void;
}

export function startOrphanGuard(bash: string): OrphanGuard {
  const child: ChildProcess = spawn(bash, ['--noprofile', '--norc', '-c', GUARD_SCRIPT], { detached: true, stdio: ['pipe', 'ignore', 'ignore'] });
  const stdin = child.stdin as Socket | null;
  // Neither the guard nor its pipe may keep the worker's event loop alive.
  child.unref();
  stdin?.unref();
  // EPIPE when the guard was killed: the next step starts a new one (see guard()).
  stdin?.on('error', () => undefined);
  child.on('error', () => undefined);
  let exited = false;
  child.once('exit', () => (exited = true));
  const write = (text: string) => {
    if (stdin && stdin.writable) stdin.write(text);
  };
  return {
    pid: child.pid ?? 0,
    alive: () => !exited && child.pid !== undefined,
    register: (pgid) => write(`+${pgid}\n`),
    unregister: (pgid) => write(`-${pgid}\n`),
    close: () => stdin?.end(),
  };
}

let current: OrphanGuard | undefined;

/** The worker's guard, started on first use and again if it died. */
export function orphanGuard(bash: string): OrphanGuard {
  if (current?.alive()) return current;
  current = startOrphanGuard(bash);
  return current;
}
