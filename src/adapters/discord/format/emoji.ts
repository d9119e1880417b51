/** Emoji and embed colours for run and step states, so a checklist reads at a glance. */
import type { RunState, StepState } from '../../../engine/types.js';

export const RUN_EMOJI: Record<RunState, string> = {
  queued: '⏳',
  running: '🔄',
  waiting: '✋',
  succeeded: '✅',
  failed: '❌',
  cancelled: '🚫',
  timed_out: '⏰',
};

export const STEP_EMOJI: Record<StepState, string> = {
  pending: '⚪',
  queued: '⏳',
  running: '🔄',
  waiting: '✋',
  succeeded: '✅',
  failed: '❌',
  skipped: '⏩',
  cancelled: '🚫',
  timed_out: '⏰',
  lost: '⚠️',
};

export const RUN_COLOR: Record<RunState, number> = {
  queued: 0x99aab5,
  running: 0x5865f2,
  waiting: 0xfee75c,
  succeeded: 0x57f287,
  failed: 0xed4245,
  cancelled: 0x99aab5,
  timed_out: 0xed4245,
};

export { stateLabel } from '../../../chat/step-detail.js';
