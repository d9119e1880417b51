/**
 * A step's reply in the run's thread: its state, then the last lines of output in a code block,
 * or head and tail of a long log (the whole log is attached as a file beside it), all in the
 * message content within Discord's 2,000 characters.
 */
import type { OutputLimits, OutputLine, StepOutputView } from '../../../chat/render-model.js';
import { formatDuration } from '../../../workflow/duration.js';
import { STEP_EMOJI, stateLabel } from './emoji.js';
import { DISCORD_LIMITS } from './limits.js';
import { codeBlock, CODE_BLOCK_OVERHEAD, cut, esc } from './markdown.js';
import { message, type DiscordMessage } from './message.js';

/** What the chat layer may put in one output view: room left in 2,000 characters for the title and notes. */
export const DISCORD_OUTPUT_LIMITS: OutputLimits = { maxLines: 30, maxChars: 1_500 };

export function formatStepOutput(view: StepOutputView): DiscordMessage {
  const detail = [stateLabel(view.state)];
  if (view.durationMs !== undefined) detail.push(formatDuration(view.durationMs));
  if (view.exitCode !== undefined) detail.push(`exit ${view.exitCode}`);
  const title = `${STEP_EMOJI[view.state]} **${esc(cut(view.stepName, 100))}** · ${detail.join(' · ')}`;
  const notes: string[] = [];
  if (view.error) notes.push(`⚠️ ${esc(cut(view.error, 200))}`);
  if (view.fullLog) notes.push(`${view.totalLines} lines in all: the full log is attached as ${esc(view.fullLog.filename)}`);
  const parts: string[] = [title];
  const room = DISCORD_LIMITS.content - title.length - notes.join('\n').length - 60;
  if (view.head.length > 0) {
    const half = Math.floor(room / 2);
    parts.push(fitCode(view.head, 'head', half), `… ${view.omitted} line${view.omitted === 1 ? '' : 's'} omitted …`, fitCode(view.lines, 'tail', room - half));
  } else if (view.lines.length > 0) {
    if (view.omitted > 0) parts.push(`… ${view.omitted} earlier line${view.omitted === 1 ? '' : 's'}`);
    parts.push(fitCode(view.lines, 'tail', room));
  } else if (!view.final) {
    parts.push('*no output yet*');
  }
  parts.push(...notes);
  return message(cut(parts.join('\n'), DISCORD_LIMITS.content));
}

/** A code block of `lines` within `room` characters: the last lines (`tail`) or the first (`head`). */
export function fitCode(lines: readonly OutputLine[], keep: 'head' | 'tail', room: number): string {
  const texts = lines.map((l) => l.text);
  let size = texts.reduce((n, t) => n + t.length + 1, 0) + CODE_BLOCK_OVERHEAD;
  while (size > room && texts.length > 1) {
    const dropped = keep === 'tail' ? texts.shift() : texts.pop();
    size -= (dropped?.length ?? 0) + 1;
  }
  if (size > room) return codeBlock(cut(texts[0] ?? '', Math.max(1, room - CODE_BLOCK_OVERHEAD - 12)));
  return codeBlock(texts.join('\n'));
}
