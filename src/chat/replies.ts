/** Small builders for router replies, so every error carries a code and reads the same way. */
import type { ChatContent, FileUpload, ReplyBlock, ReplyView } from './platform.js';
import type { OutputLimits } from './render-model.js';

export function reply(tone: ReplyView['tone'], title: string, blocks: ReplyBlock[] = [], opts: { code?: string; ephemeral?: boolean; attachment?: FileUpload } = {}): ChatContent {
  const view: ReplyView = { tone, title, blocks, code: opts.code, ephemeral: opts.ephemeral ?? tone !== 'success' };
  if (opts.attachment) view.attachment = opts.attachment;
  return { kind: 'reply', view };
}

export const text = (t: string): ReplyBlock => ({ type: 'text', text: t });
export const code = (t: string): ReplyBlock => ({ type: 'code', text: t });
export const list = (items: string[]): ReplyBlock => ({ type: 'list', items });
export const fields = (f: { label: string; value: string }[]): ReplyBlock => ({ type: 'fields', fields: f });

export function errorReply(codeName: string, title: string, blocks: ReplyBlock[] = []): ChatContent {
  return reply('error', title, blocks, { code: codeName, ephemeral: true });
}

/**
 * A long text (a run's transcript) as a private answer: inline in a code block when it fits the
 * platform's `limits` for one reply (none: any length fits), else a short note saying how long it
 * is and under which name it is attached, with the whole text as the reply's attachment.
 */
export function textReply(title: string, file: FileUpload, limits: OutputLimits | undefined): ChatContent {
  const lines = file.text.replace(/\n$/, '').split('\n').length;
  if (!limits || (lines <= limits.maxLines && file.text.length <= limits.maxChars)) return reply('info', title, [code(file.text)], { ephemeral: true });
  return reply('info', `${title}: ${lines} line${lines === 1 ? '' : 's'}, attached as ${file.filename}`, [], { ephemeral: true, attachment: file });
}
