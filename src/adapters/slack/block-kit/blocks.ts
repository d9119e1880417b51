/**
 * Block builders that stay inside Slack's limits (section text 3,000 characters, 10 fields of
 * 2,000, header 150, 50 blocks per message, 40,000 characters of fallback text). Formatters build
 * through these so no message is refused with invalid_blocks or msg_too_long.
 */
import type { ActionsBlock, Button, ContextBlock, HeaderBlock, KnownBlock, SectionBlock } from './slack-types.js';
import { cut } from './mrkdwn.js';

export const LIMITS = {
  sectionText: 3000,
  fields: 10,
  fieldText: 2000,
  headerText: 150,
  contextText: 3000,
  blocks: 50,
  text: 40_000,
  buttonText: 75,
} as const;

export interface SlackMessage {
  /** Fallback text: notifications, screen readers, clients without Block Kit. */
  text: string;
  blocks: KnownBlock[];
}

export function header(text: string): HeaderBlock {
  return { type: 'header', text: { type: 'plain_text', text: cut(text.trim() || '-', LIMITS.headerText), emoji: true } };
}

/**
 * One or more sections holding `text`: long text is split at line breaks into several sections
 * rather than cut, so nothing is lost until the message's block budget runs out.
 */
export function sections(text: string): SectionBlock[] {
  const out: SectionBlock[] = [];
  for (const chunk of splitText(text, LIMITS.sectionText)) out.push({ type: 'section', text: { type: 'mrkdwn', text: chunk } });
  return out;
}

export function section(text: string): SectionBlock {
  return { type: 'section', text: { type: 'mrkdwn', text: cut(text || ' ', LIMITS.sectionText) } };
}

/** Label/value pairs as section fields, ten per section. */
export function fieldSections(pairs: { label: string; value: string }[]): SectionBlock[] {
  const out: SectionBlock[] = [];
  for (let i = 0; i < pairs.length; i += LIMITS.fields) {
    const fields = pairs.slice(i, i + LIMITS.fields).map((p) => ({ type: 'mrkdwn' as const, text: cut(`*${p.label}*\n${p.value || ' '}`, LIMITS.fieldText) }));
    out.push({ type: 'section', fields });
  }
  return out;
}

export function context(text: string): ContextBlock {
  return { type: 'context', elements: [{ type: 'mrkdwn', text: cut(text || ' ', LIMITS.contextText) }] };
}

export function button(text: string, actionId: string, style?: 'primary' | 'danger'): Button {
  const b: Button = { type: 'button', text: { type: 'plain_text', text: cut(text, LIMITS.buttonText), emoji: true }, action_id: actionId, value: actionId };
  if (style) b.style = style;
  return b;
}

export function actions(blockId: string, elements: Button[]): ActionsBlock {
  return { type: 'actions', block_id: blockId.slice(0, 255), elements };
}

/**
 * Splits text into chunks of at most `max` characters, preferring line breaks. A code fence
 * split across chunks is closed at the end of one chunk and reopened at the start of the next.
 */
export function splitText(text: string, max: number): string[] {
  if (text.length <= max) return [text || ' '];
  const chunks: string[] = [];
  let rest = text;
  let inFence = false;
  while (rest.length > 0) {
    const open = inFence ? '```' : '';
    const room = max - open.length - 3; // keep room to close a fence
    let piece: string;
    if (open.length + rest.length <= max) {
      piece = rest;
      rest = '';
    } else {
      const nl = rest.lastIndexOf('\n', room);
      const at = nl > room / 2 ? nl : room;
      piece = rest.slice(0, at);
      rest = rest.slice(nl > room / 2 ? at + 1 : at);
    }
    const fences = (piece.match(/```/g) ?? []).length;
    const endsInFence: boolean = fences % 2 === 1 ? !inFence : inFence;
    chunks.push(`${open}${piece}${endsInFence && rest.length > 0 ? '```' : ''}`);
    inFence = endsInFence;
  }
  return chunks;
}

/**
 * Caps a message at Slack's 50 blocks: `tail` (the final status) is always kept, the body is cut
 * and one block says how much was left out. Fallback text is cut to 40,000 characters.
 */
export function finish(text: string, body: KnownBlock[], tail: KnownBlock[] = []): SlackMessage {
  let kept = body;
  const room = LIMITS.blocks - tail.length;
  if (body.length > room) {
    const dropped = body.length - (room - 1);
    kept = [...body.slice(0, room - 1), context(`… ${dropped} more block${dropped === 1 ? '' : 's'} not shown (Slack allows ${LIMITS.blocks} per message)`)];
  }
  return { text: cut(text || ' ', LIMITS.text), blocks: [...kept, ...tail] };
}
