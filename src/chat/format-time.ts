/** Human durations and clock times shared by every formatter (`0.4s`, `12s`, `3m05s`, `1h02m`). */

export function formatDuration(ms: number): string {
  if (ms < 10_000) return `${(Math.max(0, ms) / 1000).toFixed(1)}s`;
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** `22:41:03 UTC`: approvals and decisions say when, in one time zone for everyone. */
export function formatClock(at: number): string {
  return `${new Date(at).toISOString().slice(11, 19)} UTC`;
}
