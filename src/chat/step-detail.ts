/**
 * What a run's checklist says about each step, in words every format shares (Slack, Discord):
 * the step's detail phrases, and the checklist's lines with the on-failure steps under a heading.
 * Each format only adds its emoji and markup.
 */
import { formatDuration } from '../workflow/duration.js';
import type { RunView, StepView } from './render-model.js';
import { noWorkerText } from './state-words.js';

/** `timed_out` -> `timed out`. */
export function stateLabel(state: string): string {
  return state.replace(/_/g, ' ');
}

/** The phrases after a step's name: state (unless it succeeded), duration, attempt, approvals, exit code, a pool with no worker. */
export function stepDetails(step: StepView): string[] {
  const detail: string[] = [];
  if (step.state !== 'succeeded') detail.push(stateLabel(step.state));
  if (step.durationMs !== undefined && step.state !== 'pending' && step.state !== 'skipped') detail.push(formatDuration(step.durationMs));
  if (step.attempt > 1) detail.push(`attempt ${step.attempt}`);
  if (step.approval?.pending) detail.push(`${step.approval.approvals}/${step.approval.minApprovers} approvals`);
  if (step.exitCode !== undefined && step.exitCode !== 0) detail.push(`exit ${step.exitCode}`);
  // Pool names are [a-z0-9-]: nothing in this text needs escaping on any platform.
  if (step.waitingForWorker !== undefined) detail.push(noWorkerText(step.waitingForWorker));
  return detail;
}

/** The first line of a failed, timed-out or lost step's error, else undefined. */
export function stepFailure(step: StepView): string | undefined {
  if (!step.error || (step.state !== 'failed' && step.state !== 'timed_out' && step.state !== 'lost')) return undefined;
  return step.error.split('\n', 1)[0] ?? '';
}

/** One line per step (`line`), the on-failure steps after `heading`. */
export function checklistLines(view: RunView, line: (step: StepView) => string, heading: string): string[] {
  const lines: string[] = [];
  let phase: StepView['phase'] = 'main';
  for (const step of view.steps) {
    if (step.phase !== phase) {
      phase = step.phase;
      lines.push(heading);
    }
    lines.push(line(step));
  }
  return lines;
}
