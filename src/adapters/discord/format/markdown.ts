/**
 * Discord markdown: user text escaped (so `*`, `_`, `~` or a `@everyone` in a step's output never
 * format or ping), identities as user or role mentions, code blocks that output cannot break out
 * of, and dates Discord renders in each reader's time zone. Mentions never ping: every message is
 * sent with `allowed_mentions: { parse: [] }` (see format.ts).
 */
import { escapeMarkdown, time, TimestampStyles } from '@discordjs/formatters';

export function esc(text: string): string {
  return escapeMarkdown(text);
}

/** `discord:ID` -> `<@ID>`, `discord-role:ID` -> `<@&ID>`; other identities as inline code. */
export function who(identity: string): string {
  const m = /^discord(-role)?:(\d{15,21})$/.exec(identity);
  if (m) return m[1] ? `<@&${m[2]}>` : `<@${m[2]}>`;
  return inline(identity);
}

/** Inline code for a short value (run ids, keys); a backtick inside would end it early. */
export function inline(text: string): string {
  return `\`${text.replace(/`/g, "'").replace(/\n/g, ' ') || ' '}\``;
}

/** A fenced code block; a ``` inside is split with zero-width spaces so it cannot close the fence. */
export function codeBlock(text: string): string {
  const body = text.replace(/```/g, '`\u200b`\u200b`');
  return `\`\`\`\n${body.length > 0 ? body : ' '}\n\`\`\``;
}

/** The characters codeBlock adds around its text (fence, newlines), for budgeting. */
export const CODE_BLOCK_OVERHEAD = 8;

/** A date shown in the reader's own time zone, e.g. "1 December 2026 22:41". */
export function date(ms: number): string {
  return time(Math.floor(ms / 1000), TimestampStyles.LongDateShortTime);
}

/** Cuts text to `max` characters, marking the cut. */
export function cut(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, Math.max(0, max - 1))}…`;
}
