/**
 * Reads what a channel of the fake Slack shows about the runs reported in it: their headers (a
 * run's thread root, `WORKFLOW RUN: STATE`), and every message that ever showed a final status,
 * so a test can count runs with more than one final status in their thread.
 */
import type { FakeMessage, FakeSlackApi } from '../fakes/slack-api.js';

const HEADER = /^([a-z][a-z0-9-]*) (r-[0-9a-z]+): ([a-z_]+)$/;
export const FINAL_STATES = ['succeeded', 'failed', 'cancelled', 'timed_out'];

export interface ChannelReport {
  /** Thread roots naming a run (its header, in whatever state it last showed). */
  headers: { runId: string; workflow: string; state: string; message: FakeMessage }[];
  /**
   * Final statuses shown beyond the first per run: another message that showed one, or the same
   * header showing a different final state later (two writers).
   */
  duplicateFinals: string[];
}

function parse(text: string): { workflow: string; runId: string; state: string } | undefined {
  const m = HEADER.exec(text);
  return m?.[1] && m[2] && m[3] ? { workflow: m[1], runId: m[2], state: m[3] } : undefined;
}

export function channelReport(fake: FakeSlackApi, channel: string): ChannelReport {
  const headers: ChannelReport['headers'] = [];
  for (const message of fake.roots(channel)) {
    const h = parse(message.text);
    if (h) headers.push({ ...h, message });
  }
  const duplicateFinals: string[] = [];
  const seen = new Map<string, string>();
  for (const m of fake.messages.filter((x) => x.channel === channel && !x.ephemeralTo)) {
    const finals = new Map<string, string>();
    for (const v of m.history) {
      const h = parse(v.text);
      if (h && FINAL_STATES.includes(h.state)) finals.set(`${h.runId}: ${h.state}`, h.runId);
    }
    for (const [shown, runId] of finals) {
      const before = seen.get(runId);
      if (before !== undefined) duplicateFinals.push(`${channel}: ${shown} in ${m.ts}, after ${before}`);
      else seen.set(runId, `${shown} in ${m.ts}`);
    }
  }
  return { headers, duplicateFinals };
}

/** Nearest-rank percentile of `values` (q from 0 to 100); NaN when empty. */
export function percentile(values: readonly number[], q: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((q / 100) * sorted.length) - 1))] ?? NaN;
}
