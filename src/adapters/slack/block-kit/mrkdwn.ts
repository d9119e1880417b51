/**
 * Slack mrkdwn text: escaping of the three control characters, identities as mentions, code
 * blocks that user output cannot break out of, and dates Slack renders in the reader's time zone.
 */

/** Slack treats `&`, `<`, `>` as control characters; everything user-supplied is escaped. */
export function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * A link `<url|label>`: `&`, `<`, `>` in the URL are escaped as Slack asks (it decodes them back),
 * `|` is percent-encoded so it cannot end the URL early, and the label cannot hold a `|` either.
 */
export function link(url: string, label: string): string {
  return `<${esc(url).replace(/\|/g, '%7C')}|${esc(label).replace(/\|/g, '/')}>`;
}

/** `slack:U1` -> a mention; `slack-group:S1` -> a group mention; other identities as inline code. */
export function who(identity: string): string {
  const [kind, id] = splitIdentity(identity);
  if (kind === 'slack' && /^[UW][A-Z0-9]+$/.test(id)) return `<@${id}>`;
  if (kind === 'slack-group' && /^S[A-Z0-9]+$/.test(id)) return `<!subteam^${id}>`;
  return `\`${esc(identity.replace(/`/g, "'"))}\``;
}

function splitIdentity(identity: string): [string, string] {
  const i = identity.indexOf(':');
  return i < 0 ? ['', identity] : [identity.slice(0, i), identity.slice(i + 1)];
}

/** Inline code for a short value (run ids, keys); backticks inside would end it early. */
export function inline(text: string): string {
  return `\`${esc(text.replace(/`/g, "'")).replace(/\n/g, ' ')}\``;
}

/**
 * A fenced code block. A ``` inside the text would close the fence, so a zero-width space is put
 * between the backticks; the text is escaped (Slack would otherwise read `<...>` as links).
 */
export function codeBlock(text: string): string {
  const body = esc(text.replace(/```/g, '`\u200b`\u200b`'));
  return `\`\`\`${body.length > 0 ? body : ' '}\`\`\``;
}

/** A date Slack shows in each reader's own time zone, with a UTC fallback for old clients. */
export function slackDate(ms: number): string {
  const sec = Math.floor(ms / 1000);
  const fallback = new Date(ms).toISOString().replace('T', ' ').slice(0, 16) + ' UTC';
  return `<!date^${sec}^{date_short_pretty} {time}|${fallback}>`;
}

/** Cuts text to `max` characters, marking the cut. */
export function cut(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, Math.max(0, max - 1))}…`;
}
