/** Durations as users write them: `500ms`, `30s`, `5m`, `2h`, `1h30m`, `1d`. */

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const DURATION = /^(?:\d+(?:ms|s|m|h|d))+$/;
const PART = /(\d+)(ms|s|m|h|d)/g;

/** Workflows use a handful of durations, parsed again for every step run: remembered (bounded). */
const parsed = new Map<string, number | undefined>();
const MAX_REMEMBERED = 1_000;

/** Parses a duration to milliseconds; returns undefined when the text is not a duration. */
export function parseDuration(text: string): number | undefined {
  if (parsed.has(text)) return parsed.get(text);
  const trimmed = text.trim();
  let total: number | undefined;
  if (DURATION.test(trimmed)) {
    total = 0;
    for (const [, amount, unit] of trimmed.matchAll(PART)) total += Number(amount) * (UNIT_MS[unit ?? ''] ?? 0);
  }
  if (parsed.size >= MAX_REMEMBERED) parsed.clear();
  parsed.set(text, total);
  return total;
}

/** Formats milliseconds the way people read them in chat: `0.4s`, `4.2s`, `12s`, `3m05s`, `1h02m`. */
export function formatDuration(ms: number): string {
  if (ms < 10_000) return `${(Math.max(0, ms) / 1000).toFixed(1)}s`;
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}
