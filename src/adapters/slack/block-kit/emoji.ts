/** Slack emoji shortcodes for run and step states, so a checklist reads at a glance. */
import type { RunState, StepState } from '../../../engine/types.js';

export const RUN_EMOJI: Record<RunState, string> = {
  queued: ':hourglass_flowing_sand:',
  running: ':arrows_counterclockwise:',
  waiting: ':raised_hand:',
  succeeded: ':white_check_mark:',
  failed: ':x:',
  cancelled: ':no_entry_sign:',
  timed_out: ':alarm_clock:',
};

export const STEP_EMOJI: Record<StepState, string> = {
  pending: ':white_circle:',
  queued: ':hourglass_flowing_sand:',
  running: ':arrows_counterclockwise:',
  waiting: ':raised_hand:',
  succeeded: ':white_check_mark:',
  failed: ':x:',
  skipped: ':fast_forward:',
  cancelled: ':no_entry_sign:',
  timed_out: ':alarm_clock:',
  lost: ':warning:',
};

export { stateLabel } from '../../../chat/step-detail.js';
