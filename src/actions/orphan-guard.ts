/**
 * Makes sure a step's processes die with the worker. Shell steps run detached (their own process
 * group, so cancel can kill the whole group), which also means a SIGKILLed worker would leave them
 * running, and the retry on another worker would then run beside them.
 *
 * One small bash process per worker (the guard, itself detached) reads `+PGID` / `-PGID` lines from
 * a pipe whose other end only the worker holds. When the worker dies, however it dies, the kernel
 * closes that pipe; the guard reads EOF and sends SIGTERM, then SIGKILL a second later, to every
 * group still registered. While the worker lives, the guard costs one blocked `read`.
 *
 * It is also the worker's watchdog: `@MS` lines say "kill every registered group (SIGKILL) unless
 * another `@` comes within MS ms". The worker's step lease (engine/step-lease.ts) sends one after
 * each renewal, with a deadline a little before the lease could expire in Redis, so a worker that
 * is alive but frozen (SIGSTOP, swapped out, a stuck event loop) cannot leave a step running once
 * another worker may take it over. Time is read from /proc/uptime (monotonic), else the wall clock.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';

const GUARD_SCRIPT = [
  'declare -A groups',
  'deadline=0',
  'now_ms() {',
  '  local u',
  '  if [ -r /proc/uptime ]; then read -r u _ < /proc/uptime; u=${u/./}; REPLY=$((10#$u * 10));',
  '  else u=${EPOCHREALTIME/[.,]/}; REPLY=$((10#$u / 1000)); fi',
  '}',
  'while :; do',
  '  if (( deadline > 0 )); then',
  '    now_ms; left=$(( deadline - REPLY ))',
  '    if (( left <= 0 )); then',
  '      for g in "${!groups[@]}"; do kill -KILL -- "-$g" 2>/dev/null; done',
  '      groups=(); deadline=0; continue',
  '    fi',
  "    printf -v t '%d.%03d' $(( left / 1000 )) $(( left % 1000 ))",
  '    IFS= read -r -t "$t" line; rc=$?',
  '    (( rc > 128 )) && continue',
  '  else',
  '    IFS= read -r line; rc=$?',
  '  fi',
  '  (( rc != 0 )) && break',
  '  case "$line" in',
  '    +*) groups["${line:1}"]=1 ;;',
  '    -*) unset "groups[${line:1}]" ;;',
  '    @*) ms=${line:1}; if (( ms > 0 )); then now_ms; deadline=$(( REPLY + ms )); else deadline=0; fi ;;',
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
  /** Kill every registered group unless deadline() is called again within ms (0: no deadline). */
  deadline(ms: number): void;
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
    deadline: (ms) => write(`@${Math.max(0, Math.floor(ms))}\n`),
    unregister: (pgid) => write(`-${pgid}\n`),
    close: () => stdin?.end(),
  };
}

let current: OrphanGuard | undefined;
/** performance.now() by which the groups must be dead if the worker says nothing more; undefined: none. */
let deadlineAt: number | undefined;

/** The worker's guard, started on first use and again if it died (then given the current deadline). */
export function orphanGuard(bash: string): OrphanGuard {
  if (current?.alive()) return current;
  current = startOrphanGuard(bash);
  if (deadlineAt !== undefined) current.deadline(Math.max(1, deadlineAt - performance.now()));
  return current;
}

/**
 * The watchdog deadline for this process's step groups: `at` on the performance.now() clock
 * (undefined: none). Passed on to the guard when one runs, and to any guard started later.
 */
export function setGuardDeadline(at: number | undefined): void {
  deadlineAt = at;
  if (current?.alive()) current.deadline(at === undefined ? 0 : Math.max(1, at - performance.now()));
}
