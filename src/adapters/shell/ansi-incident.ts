/** An incident's living message and thread replies as terminal lines (see ansi-format.ts). */
import { formatClock, formatDuration } from '../../chat/format-time.js';
import { incidentStateWord, type IncidentChangeView, type IncidentView } from '../../chat/incident-model.js';
import { painter, type FormatOptions } from './ansi-paint.js';

export function formatIncident(v: IncidentView, o: FormatOptions): string[] {
  const p = painter(o.color);
  const word = incidentStateWord(v);
  const counts = `${v.firing} firing, ${v.resolved} resolved${v.truncated > 0 ? `, +${v.truncated} not sent` : ''}`;
  const lines = [p(v.state === 'firing' ? 'bad' : 'ok', `${v.state === 'firing' ? '🚨' : '✓'} ${word}: ${v.title}`) + p('dim', ` [${v.incidentId}]`)];
  const facts = [counts, `severity ${v.severity ?? 'unknown'}`, `first seen ${formatClock(v.firstSeen)}`];
  if (v.durationMs !== undefined) facts.push(`resolved after ${formatDuration(v.durationMs)}`);
  if (v.reopened > 0) facts.push(`reopened ${v.reopened}×`);
  if (v.handledBy !== undefined) facts.push(`handled by ${v.handledBy}`);
  if (v.silencedUntil !== undefined) facts.push(`silenced until ${formatClock(v.silencedUntil)}`);
  lines.push(`  ${facts.join(' · ')}`);
  if (v.summary) lines.push(`  ${v.summary}`);
  for (const a of v.alerts) lines.push(`  ${a.status === 'firing' ? p('bad', '●') : p('ok', '○')} ${a.name} ${p('dim', a.detail)}`);
  if (v.more > 0) lines.push(`  … and ${v.more} more`);
  for (const l of v.links) lines.push(`  ${l.label}: ${l.url}`);
  if (v.link) lines.push(`  View: ${v.link}`);
  // The buttons, as the lines to type.
  if (v.actions.length > 0) lines.push(`  ${p('dim', 'type:')} ${v.actions.map((a) => a.command).join(p('dim', ' · '))}`);
  return lines;
}

export function formatIncidentChange(v: IncidentChangeView, o: FormatOptions): string[] {
  const p = painter(o.color);
  const tone = v.tone === 'firing' ? 'bad' : v.tone === 'resolved' ? 'ok' : 'busy';
  return [`  ${p('dim', `[${v.incidentId}]`)} ${p(tone, v.title)}`, ...v.lines.map((l) => `    • ${l}`)];
}
