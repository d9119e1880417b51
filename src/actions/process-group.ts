/**
 * Signals for a whole process group, so a step's background jobs and grandchildren stop with it.
 * A shell step's bash is spawned detached: it leads its own group, whose id is its pid.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';

/** How long a group gets between SIGTERM and SIGKILL (cancel must finish well within 2 s). */
export const KILL_GRACE_MS = 1000;

/** Sends `signal` to every process in the group; false when the group no longer exists. */
export function signalGroup(pgid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false; // ESRCH: no process left in the group (EPERM cannot happen for our own children)
  }
}

function stateAndGroup(pid: string): { state: string; pgrp: number } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // "pid (comm) state ppid pgrp …"; comm may hold spaces and parentheses, so split after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { state: fields[0] ?? '', pgrp: Number(fields[2]) };
  } catch {
    return undefined; // exited while we looked
  }
}

let procAvailable: boolean | undefined;

/**
 * Pids of the group's processes that are still running. Zombies do not count: in containers whose
 * PID 1 does not reap orphans they linger forever but hold no resources and no pipes.
 * Without /proc (macOS), answers [pgid] while the group exists at all.
 */
export function liveGroupMembers(pgid: number): number[] {
  if (!signalGroup(pgid, 0)) return [];
  let entries: string[];
  try {
    entries = procAvailable === false ? [] : readdirSync('/proc');
    procAvailable = true;
  } catch {
    procAvailable = false;
    entries = [];
  }
  if (!procAvailable) return [pgid];
  const live: number[] = [];
  for (const name of entries) {
    if (name.charCodeAt(0) < 48 || name.charCodeAt(0) > 57) continue; // not a pid
    const info = stateAndGroup(name);
    if (info && info.pgrp === pgid && info.state !== 'Z' && info.state !== 'X') live.push(Number(name));
  }
  return live;
}

/** True when the process is gone or a zombie (it runs no more code). */
export function processGone(pid: number): boolean {
  if (existsSync('/proc/self/stat')) {
    const info = stateAndGroup(String(pid));
    return info === undefined || info.state === 'Z' || info.state === 'X';
  }
  try {
    process.kill(pid, 0);
    return false;
  } catch {
    return true;
  }
}

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * SIGTERM to the group, then SIGKILL to whatever is still running after `graceMs`.
 * Resolves with the number of processes that were running when it started.
 */
export async function terminateGroup(pgid: number, graceMs = KILL_GRACE_MS): Promise<number> {
  const initial = liveGroupMembers(pgid).length;
  if (initial === 0) return 0;
  signalGroup(pgid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    await delay(25);
    if (liveGroupMembers(pgid).length === 0) return initial;
  }
  signalGroup(pgid, 'SIGKILL');
  return initial;
}
