/** An incident's living message and its thread replies, as a Discord embed. */
import { formatDuration } from '../../../chat/format-time.js';
import type { IncidentChangeView, IncidentView } from '../../../chat/incident-model.js';
import { DISCORD_LIMITS } from './limits.js';
import { cut, date, esc, inline } from './markdown.js';
import { message, type DiscordMessage } from './message.js';

const STATE = { firing: { emoji: '🚨', word: 'Firing', color: 0xed4245 }, resolved: { emoji: '✅', word: 'Resolved', color: 0x57f287 } } as const;

/** A markdown link whose label and URL cannot break out of `[label](url)`. */
function link(l: { label: string; url: string }): string {
  return `[${esc(l.label).replace(/[[\]]/g, '')}](${l.url.replace(/[()\s]/g, encodeURIComponent)})`;
}

export function formatIncident(v: IncidentView): DiscordMessage {
  const s = STATE[v.state];
  const counts = `${v.firing} firing, ${v.resolved} resolved${v.truncated > 0 ? `, +${v.truncated} not sent` : ''}`;
  const lines: string[] = [];
  if (v.summary) lines.push(esc(cut(v.summary, 1_000)));
  if (v.alerts.length > 0) {
    lines.push(...v.alerts.map((a) => `${a.status === 'firing' ? '🔴' : '🟢'} **${esc(a.name)}** ${esc(a.detail)}${a.summary ? ` — ${esc(cut(a.summary, 200))}` : ''}`));
    if (v.more > 0) lines.push(`*and ${v.more} more*`);
  }
  const foot = [`incident ${inline(v.incidentId)}`, `from ${esc(v.source)}`];
  if (v.reopened > 0) foot.push(`reopened ${v.reopened}×`);
  if (v.stormGroups !== undefined) foot.push(`${v.stormGroups} groups held back from the channel`);
  if (v.links.length > 0) foot.push(v.links.map(link).join(' · '));
  lines.push(foot.join(' · '));
  const fields = [
    { name: 'Alerts', value: esc(counts), inline: true },
    { name: 'Severity', value: esc(v.severity ?? 'unknown'), inline: true },
    { name: 'First seen', value: date(v.firstSeen), inline: true },
    { name: v.state === 'resolved' ? 'Resolved' : 'Last change', value: date(v.resolvedAt ?? v.lastSeen), inline: true },
  ];
  if (v.durationMs !== undefined) fields.push({ name: 'Duration', value: formatDuration(v.durationMs), inline: true });
  // The content's first words name the state, for notifications and screen readers.
  const embed = { title: cut(`${s.emoji} ${s.word}: ${v.title}`, DISCORD_LIMITS.embedTitle), description: cut(lines.join('\n'), DISCORD_LIMITS.embedDescription), color: s.color, fields };
  return message(cut(`${s.word}: ${v.title} (${counts})`, DISCORD_LIMITS.content), [embed]);
}

export function formatIncidentChange(v: IncidentChangeView): DiscordMessage {
  const emoji = v.tone === 'firing' ? '🚨' : v.tone === 'resolved' ? '✅' : 'ℹ️';
  const text = [`${emoji} **${esc(v.title)}**`, ...v.lines.map((l) => `• ${esc(l)}`)].join('\n');
  return message(cut(text, DISCORD_LIMITS.content));
}
