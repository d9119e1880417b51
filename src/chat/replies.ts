/** Small builders for router replies, so every error carries a code and reads the same way. */
import type { ChatContent, ReplyBlock, ReplyView } from './platform.js';

export function reply(tone: ReplyView['tone'], title: string, blocks: ReplyBlock[] = [], opts: { code?: string; ephemeral?: boolean } = {}): ChatContent {
  return { kind: 'reply', view: { tone, title, blocks, code: opts.code, ephemeral: opts.ephemeral ?? tone !== 'success' } };
}

export const text = (t: string): ReplyBlock => ({ type: 'text', text: t });
export const code = (t: string): ReplyBlock => ({ type: 'code', text: t });
export const list = (items: string[]): ReplyBlock => ({ type: 'list', items });
export const fields = (f: { label: string; value: string }[]): ReplyBlock => ({ type: 'fields', fields: f });

export function errorReply(codeName: string, title: string, blocks: ReplyBlock[] = []): ChatContent {
  return reply('error', title, blocks, { code: codeName, ephemeral: true });
}
