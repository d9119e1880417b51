/**
 * Watches a project folder for edits to what it loads: workflows/ and commands/ (recursively),
 * policy.yaml (and its look-alikes, which lock the policy) and alerts.yaml, plus the `..data` link a
 * Kubernetes ConfigMap mount swaps. Bursts of events (an editor's save, a `git pull`) become one
 * call after `debounceMs` of quiet. Node 20's recursive watch on Linux loses a folder that is
 * removed and made again (a `git checkout` can do that to workflows/), so the watch is set up again
 * after each burst; live-reload.ts also reads the folder every minute as a safety net.
 */
import { watch, type FSWatcher } from 'node:fs';
import { POLICY_LIKE } from '../config/policy-file.js';

const RELEVANT = /^(workflows|commands)([/\\]|$)|^alerts\.yaml$|^\.\.data$|^\.\.\d/;

/** Whether an event on this path (relative to the project folder) can change the project. */
export function relevantPath(name: string): boolean {
  return RELEVANT.test(name) || POLICY_LIKE.test(name);
}

export interface ProjectWatch {
  close(): void;
}

export function watchProject(root: string, onChange: () => void, opts: { debounceMs?: number; onError?: (err: Error) => void } = {}): ProjectWatch {
  const debounceMs = opts.debounceMs ?? 300;
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  let watcher: FSWatcher;
  const start = (): void => {
    watcher = watch(root, { recursive: true, persistent: false }, (_event, name) => {
      if (name !== null && !relevantPath(name.toString())) return;
      clearTimeout(timer);
      timer = setTimeout(fire, debounceMs);
    });
    watcher.on('error', (err) => opts.onError?.(err));
  };
  const fire = (): void => {
    if (closed) return;
    watcher.close();
    try {
      start();
    } catch (err) {
      opts.onError?.(err instanceof Error ? err : new Error(String(err)));
    }
    onChange();
  };
  start();
  return {
    close() {
      closed = true;
      clearTimeout(timer);
      watcher.close();
    },
  };
}
