/** An incident's living message and its thread replies, as a Discord embed. */
import { ButtonStyle, ComponentType } from 'discord-api-types/v10';
import { formatDuration } from '../../../chat/format-time.js';
import { encodeIncidentAction, incidentStateWord, type IncidentAction, type IncidentChangeView, type IncidentView } from '../../../chat/incident-model.js';
import { DISCORD_LIMITS } from './limits.js';
import { cut, date, esc, inline } from './markdown.js';
import { message, type DiscordMessage } from './message.js';

const STATE = { firing: { emoji: '🚨', color: 0xed4245 }, resolved: { emoji: '✅', color: 0x57f287 } } as const;
/** Buttons per action row (Discord's limit). */
const ROW = 5;

/** The incident's buttons (Acknowledge, Silence…, Run NAME) in rows of five; a click sends the line `a.command`. */
function actionRows(actions: readonly IncidentAction[]): DiscordMessage['components'] {
  const rows: DiscordMessage['components'] = [];
  for (let i = 0; i < actions.length && rows.length < 5; i += ROW) {
    rows.push({
      type: ComponentType.ActionRow,
      components: actions.slice(i, i + ROW).map((a) => ({ type: ComponentType.Button as const, style: a.style === 'primary' ? (ButtonStyle.Primary as const) : a.style === 'danger' ? (ButtonStyle.Danger as const) : (ButtonStyle.Secondary as const), label: cut(a.label, 80), custom_id: encodeIncidentAction(a.command) })),
    });
  }
  return rows;
}

/** A markdown link whose label and URL cannot break out of `[label](url)`. */
function link(l: { label: string; url: string }): string {
  return `[${esc(l.label).replace(/[[\]]/g, '')}](${l.url.replace(/[()\s]/g, encodeURIComponent)})`;
}

export function formatIncident(v: IncidentView): DiscordMessage {
  const s = STATE[v.state];
  const word = incidentStateWord(v);
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
  // The incident's own page (signed link), as on Slack and in the terminal.
  if (v.link) foot.push(link({ label: 'View', url: v.link }));
  lines.push(foot.join(' · '));
  const fields = [
    { name: 'Alerts', value: esc(counts), inline: true },
    { name: 'Severity', value: esc(v.severity ?? 'unknown'), inline: true },
    { name: 'First seen', value: date(v.firstSeen), inline: true },
    { name: v.state === 'resolved' ? 'Resolved' : 'Last change', value: date(v.resolvedAt ?? v.lastSeen), inline: true },
  ];
  if (v.durationMs !== undefined) fields.push({ name: 'Duration', value: formatDuration(v.durationMs), inline: true });
  if (v.handledBy !== undefined) fields.push({ name: 'Handled by', value: esc(v.handledBy), inline: true });
  if (v.silencedUntil !== undefined) fields.push({ name: 'Silenced until', value: date(v.silencedUntil), inline: true });
  // The content's first words name the state, for notifications and screen readers.
  const embed = { title: cut(`${s.emoji} ${word}: ${v.title}`, DISCORD_LIMITS.embedTitle), description: cut(lines.join('\n'), DISCORD_LIMITS.embedDescription), color: s.color, fields };
  return message(cut(`${word}: ${v.title} (${counts})${v.handledBy !== undefined && v.state === 'firing' ? `, handled by ${esc(v.handledBy)}` : ''}`, DISCORD_LIMITS.content), [embed], actionRows(v.actions));
}

export function formatIncidentChange(v: IncidentChangeView): DiscordMessage {
  const emoji = v.tone === 'firing' ? '🚨' : v.tone === 'resolved' ? '✅' : 'ℹ️';
  const text = [`${emoji} **${esc(v.title)}**`, ...v.lines.map((l) => `• ${esc(l)}`)].join('\n');
  return message(cut(text, DISCORD_LIMITS.content));
}
