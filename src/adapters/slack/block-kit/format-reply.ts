/** Short answers to a user (router replies, usage errors, help, status), as Block Kit. */
import type { ReplyBlock, ReplyView } from '../../../chat/platform.js';
import type { OutputLimits } from '../../../chat/render-model.js';
import { context, fieldSections, finish, sections, splitText, LIMITS, type SlackMessage } from './blocks.js';
import { codeBlock, esc } from './mrkdwn.js';
import type { KnownBlock } from './slack-types.js';

/**
 * How much preformatted text (a transcript) one reply may hold; a longer one comes as a short
 * note with the text uploaded as a file. A reply's code goes into sections of at most 2,800
 * characters, a message holds 50 blocks and 40,000 characters of fallback text (which repeats the
 * code): 12,000 characters stay well inside all three even when escaping lengthens the text, and
 * are already a few screens to scroll.
 */
export const SLACK_REPLY_LIMITS: OutputLimits = { maxLines: 300, maxChars: 12_000 };

const TONE: Record<ReplyView['tone'], string> = {
  info: ':information_source:',
  success: ':white_check_mark:',
  error: ':warning:',
  denied: ':no_entry:',
};

export function formatReply(view: ReplyView): SlackMessage {
  const blocks: KnownBlock[] = [...sections(`${TONE[view.tone]} *${esc(view.title)}*`)];
  const plain: string[] = [view.title];
  for (const block of view.blocks) {
    blocks.push(...replyBlock(block));
    plain.push(plainText(block));
  }
  if (view.code) blocks.push(context(`code ${esc(view.code)}`));
  return finish(plain.join('\n'), blocks);
}

function replyBlock(block: ReplyBlock): KnownBlock[] {
  switch (block.type) {
    case 'text':
      return sections(esc(block.text));
    case 'code':
      // Split raw text first so each piece is its own closed code block within the limit.
      return splitText(block.text, LIMITS.sectionText - 200).flatMap((piece) => sections(codeBlock(piece)));
    case 'fields':
      return fieldSections(block.fields.map((f) => ({ label: esc(f.label), value: esc(f.value) })));
    case 'list':
      return sections(block.items.map((i) => `• ${esc(i)}`).join('\n'));
  }
}

function plainText(block: ReplyBlock): string {
  switch (block.type) {
    case 'text':
    case 'code':
      return block.text;
    case 'fields':
      return block.fields.map((f) => `${f.label}: ${f.value}`).join('\n');
    case 'list':
      return block.items.map((i) => `- ${i}`).join('\n');
  }
}
