/** How each run and step state reads in any format: a symbol and a short phrase. */
import type { RunState, StepState } from '../engine/types.js';
import { DEFAULT_POOL } from '../workflow/schema.js';

/** A queued step whose pool has no live worker, as every format says it. */
export function noWorkerText(pool: string): string {
  const start = pool === DEFAULT_POOL ? 'chatops worker' : `chatops worker --pool ${pool}`;
  return `waiting for a worker of pool ${pool}: none is running (start one with \`${start}\`)`;
}

export type Tone = 'ok' | 'bad' | 'wait' | 'busy' | 'dim';

export const STEP_LOOK: Record<StepState, { icon: string; word: string; tone: Tone }> = {
  pending: { icon: '·', word: 'pending', tone: 'dim' },
  queued: { icon: '○', word: 'queued', tone: 'wait' },
  running: { icon: '●', word: 'running', tone: 'busy' },
  waiting: { icon: '⏸', word: 'waiting for approval', tone: 'wait' },
  succeeded: { icon: '✓', word: 'succeeded', tone: 'ok' },
  failed: { icon: '✗', word: 'failed', tone: 'bad' },
  skipped: { icon: '↷', word: 'skipped', tone: 'dim' },
  cancelled: { icon: '⊘', word: 'cancelled', tone: 'dim' },
  timed_out: { icon: '⌛', word: 'timed out', tone: 'bad' },
  lost: { icon: '⚠', word: 'lost (its worker died)', tone: 'bad' },
};

export const RUN_LOOK: Record<RunState, { icon: string; word: string; tone: Tone }> = {
  queued: { icon: '○', word: 'queued', tone: 'wait' },
  running: { icon: '●', word: 'running', tone: 'busy' },
  waiting: { icon: '⏸', word: 'waiting for approval', tone: 'wait' },
  succeeded: { icon: '✓', word: 'succeeded', tone: 'ok' },
  failed: { icon: '✗', word: 'failed', tone: 'bad' },
  cancelled: { icon: '⊘', word: 'cancelled', tone: 'dim' },
  timed_out: { icon: '⌛', word: 'timed out', tone: 'bad' },
};
