/**
 * Short answers to a user (router replies, usage errors, help, status) as one embed: the title,
 * then text, code, fields and lists in its description (4,096 characters).
 */
import type { ReplyBlock, ReplyView } from '../../../chat/platform.js';
import type { OutputLimits } from '../../../chat/render-model.js';
import { DISCORD_LIMITS } from './limits.js';
import { codeBlock, cut, esc } from './markdown.js';
import { message, type DiscordMessage } from './message.js';

/** Preformatted text (a transcript) that one reply holds; a longer one comes as a file beside a short note. */
export const DISCORD_REPLY_LIMITS: OutputLimits = { maxLines: 80, maxChars: 3_500 };

const TONE: Record<ReplyView['tone'], { emoji: string; color: number }> = {
  info: { emoji: 'ℹ️', color: 0x5865f2 },
  success: { emoji: '✅', color: 0x57f287 },
  error: { emoji: '⚠️', color: 0xfee75c },
  denied: { emoji: '⛔', color: 0xed4245 },
};

export function formatReply(view: ReplyView): DiscordMessage {
  const tone = TONE[view.tone];
  const parts = view.blocks.map(replyBlock);
  if (view.code) parts.push(`-# code ${esc(view.code)}`);
  const embed = {
    title: cut(`${tone.emoji} ${view.title}`, DISCORD_LIMITS.embedTitle),
    description: cut(parts.join('\n'), DISCORD_LIMITS.embedDescription) || undefined,
    color: tone.color,
  };
  return message('', [embed]);
}

function replyBlock(block: ReplyBlock): string {
  switch (block.type) {
    case 'text':
      return esc(block.text);
    case 'code':
      return codeBlock(cut(block.text, DISCORD_LIMITS.embedDescription - 200));
    case 'fields':
      return block.fields.map((f) => `**${esc(f.label)}**: ${esc(f.value)}`).join('\n');
    case 'list':
      return block.items.map((i) => `• ${esc(i)}`).join('\n');
  }
}
