/** An incident's living message and its thread replies, as Block Kit. */
import { formatDuration } from '../../../chat/format-time.js';
import { encodeIncidentAction, incidentStateWord, type IncidentChangeView, type IncidentView } from '../../../chat/incident-model.js';
import { actions, button, context, fieldSections, finish, sections, type SlackMessage } from './blocks.js';
import { esc, link, slackDate } from './mrkdwn.js';
import type { KnownBlock } from './slack-types.js';

const EMOJI = { Firing: ':rotating_light:', Acknowledged: ':eyes:', Silenced: ':no_bell:', Resolved: ':white_check_mark:' } as const;

export function formatIncident(v: IncidentView): SlackMessage {
  const word = incidentStateWord(v);
  const s = { word, emoji: EMOJI[word] };
  const counts = `${v.firing} firing, ${v.resolved} resolved${v.truncated > 0 ? `, +${v.truncated} not sent` : ''}`;
  const headline = `${s.word}: ${v.title}`;
  const blocks: KnownBlock[] = [...sections(`${s.emoji} *${esc(s.word)}*: ${esc(v.title)}`)];
  if (v.summary) blocks.push(...sections(esc(v.summary)));
  const fields = [
    { label: 'Alerts', value: esc(counts) },
    { label: 'Severity', value: esc(v.severity ?? 'unknown') },
    { label: 'First seen', value: slackDate(v.firstSeen) },
    { label: v.state === 'resolved' ? 'Resolved' : 'Last change', value: slackDate(v.resolvedAt ?? v.lastSeen) },
  ];
  if (v.durationMs !== undefined) fields.push({ label: 'Duration', value: formatDuration(v.durationMs) });
  if (v.handledBy !== undefined) fields.push({ label: 'Handled by', value: esc(v.handledBy) });
  if (v.silencedUntil !== undefined) fields.push({ label: 'Silenced until', value: slackDate(v.silencedUntil) });
  blocks.push(...fieldSections(fields));
  if (v.alerts.length > 0) {
    const lines = v.alerts.map((a) => `${a.status === 'firing' ? ':red_circle:' : ':large_green_circle:'} *${esc(a.name)}* ${esc(a.detail)}${a.summary ? ` — ${esc(a.summary)}` : ''}`);
    if (v.more > 0) lines.push(`_and ${v.more} more_`);
    blocks.push(...sections(lines.join('\n')));
  }
  const foot = [`incident \`${v.incidentId}\``, `from ${esc(v.source)}`];
  if (v.reopened > 0) foot.push(`reopened ${v.reopened}×`);
  if (v.stormGroups !== undefined) foot.push(`${v.stormGroups} groups held back from the channel`);
  if (v.links.length > 0) foot.push(v.links.map((l) => link(l.url, l.label)).join(' · '));
  if (v.link) foot.push(link(v.link, 'View'));
  blocks.push(context(foot.join(' · ')));
  if (v.actions.length > 0) blocks.push(actions(`incident|${v.incidentId}`, v.actions.map((a) => button(a.label, encodeIncidentAction(a.command), a.style))));
  const handled = v.handledBy !== undefined ? `, handled by ${v.handledBy}` : '';
  return finish(`${headline} (${counts}${handled})`, blocks);
}

export function formatIncidentChange(v: IncidentChangeView): SlackMessage {
  const emoji = v.tone === 'firing' ? ':rotating_light:' : v.tone === 'resolved' ? ':white_check_mark:' : ':information_source:';
  const blocks: KnownBlock[] = [...sections(`${emoji} *${esc(v.title)}*`)];
  if (v.lines.length > 0) blocks.push(...sections(v.lines.map((l) => `• ${esc(l)}`).join('\n')));
  return finish([v.title, ...v.lines].join('\n'), blocks);
}
