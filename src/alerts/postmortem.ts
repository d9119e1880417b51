/**
 * An incident as a postmortem draft in Markdown, for `postmortem` in its thread and `chatops
 * postmortem`: a summary (what fired, severity, start, detection to acknowledgement,
 * acknowledgement to resolution, duration, who took part), the timeline in UTC, each run with its
 * steps and outcome and its transcript, and the sections a team fills in. Everything comes from
 * Redis records that were masked before they were stored (run output, inputs, the command lines
 * typed), so secrets read `***` here as in transcripts. Pure: the caller loads, this renders.
 */
import { formatDuration } from '../chat/format-time.js';
import type { RunRecord, StepState } from '../engine/types.js';
import { namesOf } from './diff.js';
import { brief, type AlertBrief, type Incident, type TimelineEntry } from './incident.js';

export interface PostmortemRun {
  runId: string;
  /** Null once the run expired (CHATOPS_RETENTION): only the timeline remembers it. */
  record: RunRecord | null;
  /** Its Markdown transcript (engine/transcript.ts), included as it is. */
  transcript?: string;
  /** Its live web page, when the bot has a public URL. */
  link?: string;
}

export interface PostmortemInput {
  incident: Incident;
  timeline: TimelineEntry[];
  runs: PostmortemRun[];
  /** When the document is made (an incident still open is measured up to now). */
  now: number;
  /** The incident's web page, when there is one. */
  link?: string;
}

const MARK: Record<StepState, string> = { pending: '·', queued: '·', running: '▶', waiting: '⏸', succeeded: '✓', failed: '✗', skipped: '↷', cancelled: '⊘', timed_out: '⏱', lost: '✗' };

/** `2026-12-02 01:02:03`, always UTC. */
export function utc(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').replace(/\.\d+Z$/, '');
}

/** Text from chat or alert labels, inline: no line breaks, no stray Markdown. */
function inline(s: string): string {
  return s.replace(/\s+/g, ' ').replace(/([\\*_[\]<>|])/g, '\\$1');
}

/** A typed line as inline code, whatever backticks it holds. */
function codeSpan(s: string): string {
  const flat = s.replace(/\s+/g, ' ');
  const longest = (flat.match(/`+/g) ?? []).reduce((m, r) => Math.max(m, r.length), 0);
  const f = '`'.repeat(longest + 1);
  return longest > 0 ? `${f} ${flat} ${f}` : `${f}${flat}${f}`;
}

const LISTED = 5;
const PLAIN_LABELS = new Set(['alertname', 'severity']);

/** `HighErrorRate (instance=a1)`: the name, and the labels that tell it from the group's other alerts. */
function alertLabel(a: AlertBrief, common: Record<string, string>): string {
  const own = Object.entries(a.labels).filter(([k, v]) => !PLAIN_LABELS.has(k) && common[k] !== v);
  return own.length > 0 ? `${a.name} (${own.map(([k, v]) => `${k}=${v}`).join(', ')})` : a.name;
}

function alertList(verb: string, alerts: AlertBrief[], common: Record<string, string>): string | undefined {
  if (alerts.length === 0) return undefined;
  return `${verb} ${inline(alerts.length <= LISTED ? alerts.map((a) => alertLabel(a, common)).join(', ') : namesOf(alerts))}`;
}

/** One timeline entry in words (undefined: not worth a line). */
export function describeEntry(e: TimelineEntry, common: Record<string, string> = {}): string {
  switch (e.type) {
    case 'opened':
      return 'Incident opened';
    case 'reopened':
      return 'Fired again within the reopen window: incident reopened';
    case 'alerts':
      return [alertList('Fired:', e.added, common), alertList('Re-fired:', e.refired, common), alertList('Resolved:', e.resolved, common)].filter(Boolean).join('; ') + (e.group ? ` (group ${inline(e.group)})` : '');
    case 'delivery':
      return `Delivery with no alert change (${e.firing} firing, ${e.resolved} resolved${e.event ? `; ${inline(e.event)}` : ''})`;
    case 'resolved':
      return e.by ? `Resolved by hand by ${inline(e.by)}${e.why ? `: ${inline(e.why)}` : ''}` : `All alerts resolved (open ${formatDuration(e.durationMs)})`;
    case 'run':
      return `Run ${e.runId} (${inline(e.workflow)}) started ${e.by ? `by ${inline(e.by)}` : 'by the alert'}`;
    case 'run-skipped':
      return `${inline(e.workflow)} not started: ${inline(e.reason)}`;
    case 'run-delayed':
      return `${inline(e.workflow)} waits ${inline(e.delay)} before it starts (until ${utc(e.due)})`;
    case 'run-ended':
      return `Run ${e.runId} (${inline(e.workflow)}) ended: **${e.state}**${e.error ? ` — ${inline(e.error)}` : ''}`;
    case 'approval':
      return `${inline(e.by)} ${e.decision === 'approve' ? 'approved' : 'denied'} step ${inline(e.step)} of ${e.runId}${e.counted ? '' : ' (not counted)'}`;
    case 'ack':
      return `Acknowledged by ${inline(e.by)}`;
    case 'silence':
      return `Silenced by ${inline(e.by)} until ${utc(e.endsAt)} (silence ${inline(e.silenceId)}: ${inline(e.matchers.join(', '))})`;
    case 'unsilence':
      return `Silence ${inline(e.silenceId)} ended by ${inline(e.by)}`;
    case 'command':
      return `${inline(e.by)} typed ${codeSpan(e.text)}`;
  }
}

/** Who took part: people who acted, not the alert sources. */
export function participants(timeline: readonly TimelineEntry[], runs: readonly PostmortemRun[]): string[] {
  const out = new Set<string>();
  for (const e of timeline) {
    if ('by' in e && typeof e.by === 'string') out.add(e.by);
  }
  for (const r of runs) {
    if (r.record && r.record.trigger.kind !== 'alert') out.add(r.record.trigger.requester);
  }
  return [...out].sort();
}

/** Headings of an included document go below ours; lines inside code fences are left alone. */
function demote(markdown: string, levels: number): string {
  let fence: string | undefined;
  return markdown
    .split('\n')
    .map((line) => {
      const f = /^(`{3,}|~{3,})/.exec(line)?.[1];
      if (f && (fence === undefined || (f.startsWith(fence) && line.trim() === f))) {
        fence = fence === undefined ? f : undefined;
        return line;
      }
      return fence === undefined && /^#{1,6} /.test(line) ? '#'.repeat(levels) + line : line;
    })
    .join('\n');
}

function runSection(r: PostmortemRun): string[] {
  const out: string[] = [];
  const rec = r.record;
  if (!rec) {
    out.push(`### ${r.runId}`, '', 'Its record expired (runs are kept for CHATOPS_RETENTION); the timeline above still says when it started and ended.', '');
    return out;
  }
  const took = rec.endedAt !== undefined ? ` after ${formatDuration(rec.endedAt - (rec.startedAt ?? rec.createdAt))}` : '';
  out.push(`### ${rec.id} · ${inline(rec.workflow)} — ${rec.state}${took}`, '');
  out.push(`- Started by ${inline(rec.trigger.requester)} (${rec.trigger.kind}) at ${utc(rec.createdAt)}${rec.endedAt !== undefined ? `, ended ${utc(rec.endedAt)}` : ''}`);
  if (rec.error) out.push(`- Error: ${inline(rec.error)}`);
  if (r.link) out.push(`- Live page: ${r.link}`);
  out.push('', '| Step | Outcome | Took |', '|---|---|---|');
  for (const s of rec.steps) {
    const t = s.startedAt !== undefined && s.endedAt !== undefined ? formatDuration(s.endedAt - s.startedAt) : '—';
    const deciders = s.approval?.decisions.filter((d) => d.counted && (s.approval?.outcome === 'approved' ? d.decision === 'approve' : d.decision === 'deny')).map((d) => d.user) ?? [];
    const approval = s.approval?.outcome ? ` (${s.approval.outcome}${deciders.length > 0 ? ` by ${deciders.join(', ')}` : ''})` : '';
    out.push(`| ${MARK[s.state]} ${inline(s.name)} | ${s.state}${inline(approval)}${s.exitCode !== undefined && s.state !== 'succeeded' ? `, exit ${s.exitCode}` : ''} | ${t} |`);
  }
  out.push('');
  if (r.transcript) out.push('<details><summary>Transcript</summary>', '', demote(r.transcript.trimEnd(), 3), '', '</details>', '');
  return out;
}

export function renderPostmortem(p: PostmortemInput): string {
  const inc = p.incident;
  const firstAck = p.timeline.find((e): e is Extract<TimelineEntry, { type: 'ack' }> => e.type === 'ack');
  const resolvedAt = inc.status === 'resolved' ? inc.resolvedAt : undefined;
  const fired = Object.values(inc.alerts).map(brief);
  const people = participants(p.timeline, p.runs);
  // When it began: the earliest start a source gave, else when the bot first heard of it.
  const began = Math.min(inc.openedAt, ...Object.values(inc.alerts).map((a) => (a.startsAt ? Date.parse(a.startsAt) : Infinity)).filter((t) => Number.isFinite(t)));
  const rows: [string, string][] = [
    ['What fired', fired.length > 0 ? inline(namesOf(fired)) : '—'],
    ['Severity', inline(inc.severity ?? 'unknown')],
    ['Source', inline(inc.source)],
    ['Started', `${utc(began)} UTC${began < inc.openedAt ? ' (as the source says)' : ''}`],
    ['Detected', `${utc(inc.openedAt)} UTC${began < inc.openedAt ? ` (${formatDuration(inc.openedAt - began)} after it started)` : ''}`],
    ['Detection → acknowledgement', firstAck ? `${formatDuration(firstAck.at - inc.openedAt)} (${inline(firstAck.by)})` : 'not acknowledged'],
    ['Acknowledgement → resolution', firstAck && resolvedAt !== undefined ? formatDuration(Math.max(0, resolvedAt - firstAck.at)) : '—'],
    ['Duration', resolvedAt !== undefined ? `${formatDuration(resolvedAt - inc.openedAt)} (resolved ${utc(resolvedAt)} UTC)` : `still firing (${formatDuration(p.now - inc.openedAt)} so far)`],
    ['Participants', people.length > 0 ? people.map(inline).join(', ') : 'nobody acted in the thread'],
  ];
  if (inc.reopened > 0) rows.push(['Reopened', `${inc.reopened}×`]);
  const out: string[] = [`# Postmortem: ${inline(inc.title)}`, '', `Incident \`${inc.id}\`${p.link ? ` · ${p.link}` : ''} · drafted ${utc(p.now)} UTC by chatops`, ''];
  if (inc.summary) out.push(`> ${inline(inc.summary)}`, '');
  out.push('## Summary', '', '| | |', '|---|---|', ...rows.map(([k, v]) => `| ${k} | ${v} |`), '');
  out.push('## Impact', '', '_Who and what was affected, for how long._', '');
  out.push('## Timeline (UTC)', '');
  for (const e of p.timeline) out.push(`- **${utc(e.at)}** ${describeEntry(e, inc.commonLabels)}`);
  out.push('');
  out.push('## Runs', '');
  if (p.runs.length === 0) out.push('No runbook ran during this incident.', '');
  for (const r of p.runs) out.push(...runSection(r));
  out.push('## Root cause', '', '_What caused it, and why it was not caught sooner._', '');
  out.push('## Action items', '', '- [ ] _What will keep it from happening again (owner, due date)._', '');
  return out.join('\n');
}
