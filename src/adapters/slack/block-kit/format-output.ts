/**
 * A step's reply in the run's thread: its state and the last lines of output in a code block,
 * or head and tail of a long log (the whole log goes up as a file beside it).
 */
import { formatDuration } from '../../../workflow/duration.js';
import type { OutputLimits, OutputLine, StepOutputView } from '../../../chat/render-model.js';
import { context, finish, LIMITS, section, type SlackMessage } from './blocks.js';
import { STEP_EMOJI, stateLabel } from './emoji.js';
import { codeBlock, cut, esc } from './mrkdwn.js';
import type { KnownBlock } from './slack-types.js';

/**
 * What the chat layer may put in one output view. Below a section's 3,000 characters to leave
 * room for escaping (`&` becomes `&amp;`) and the fence; the formatter trims further if needed.
 */
export const SLACK_OUTPUT_LIMITS: OutputLimits = { maxLines: 40, maxChars: 2_600 };

export function formatStepOutput(view: StepOutputView): SlackMessage {
  const detail = [stateLabel(view.state)];
  if (view.durationMs !== undefined) detail.push(formatDuration(view.durationMs));
  if (view.exitCode !== undefined) detail.push(`exit ${view.exitCode}`);
  const blocks: KnownBlock[] = [section(`${STEP_EMOJI[view.state]} *${esc(view.stepName)}* · ${detail.join(' · ')}`)];
  if (view.head.length > 0) {
    blocks.push(section(fitCode(view.head, 'head')));
    blocks.push(context(`… ${view.omitted} line${view.omitted === 1 ? '' : 's'} omitted …`));
    blocks.push(section(fitCode(view.lines, 'tail')));
  } else if (view.lines.length > 0) {
    if (view.omitted > 0) blocks.push(context(`… ${view.omitted} earlier line${view.omitted === 1 ? '' : 's'}`));
    blocks.push(section(fitCode(view.lines, 'tail')));
  } else if (!view.final) {
    blocks.push(context('no output yet'));
  }
  if (view.error) blocks.push(context(`:warning: ${esc(cut(view.error, 2_000))}`));
  if (view.fullLog) blocks.push(context(`${view.totalLines} lines in all: the full log is attached as ${esc(view.fullLog.filename)}`));
  return finish(`${view.stepName}: ${stateLabel(view.state)}`, blocks);
}

/**
 * A code block of `lines` within a section's limit after escaping: keeps the last lines (`tail`)
 * or the first ones (`head`), and cuts a single overlong line.
 */
export function fitCode(lines: readonly OutputLine[], keep: 'head' | 'tail'): string {
  const texts = lines.map((l) => l.text);
  let block = codeBlock(texts.join('\n'));
  while (block.length > LIMITS.sectionText && texts.length > 1) {
    if (keep === 'tail') texts.shift();
    else texts.pop();
    block = codeBlock(texts.join('\n'));
  }
  if (block.length > LIMITS.sectionText) {
    // One line alone is too long: shorten it until the escaped block fits.
    let only = texts[0] ?? '';
    while (block.length > LIMITS.sectionText) {
      only = only.slice(0, Math.floor(only.length * 0.9));
      block = codeBlock(`${only}…`);
    }
  }
  return block;
}
