/** Human durations and clock times shared by every formatter (`820ms`, `4.2s`, `3m05s`, `1h02m`). */
export { formatDuration } from '../workflow/duration.js';

/** `22:41:03 UTC`: approvals and decisions say when, in one time zone for everyone. */
export function formatClock(at: number): string {
  return `${new Date(at).toISOString().slice(11, 19)} UTC`;
}
