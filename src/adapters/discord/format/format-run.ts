/**
 * The run's header message: the root of its thread, edited in place as a checklist of steps and
 * finally the run's status and duration. One embed: the checklist is its description (4,096
 * characters), inputs and outputs are fields; the status line is kept whatever else is cut.
 */
import { goneText, type RunView, type StepView } from '../../../chat/render-model.js';
import { checklistLines, stepDetails, stepFailure } from '../../../chat/step-detail.js';
import { formatDuration } from '../../../workflow/duration.js';
import { RUN_COLOR, RUN_EMOJI, STEP_EMOJI, stateLabel } from './emoji.js';
import { DISCORD_LIMITS } from './limits.js';
import { cut, date, esc, inline, who } from './markdown.js';
import { message, type DiscordMessage } from './message.js';

export function formatRun(view: RunView): DiscordMessage {
  const origin = [`run ${inline(view.runId)}`, `started by ${who(view.requester)}`, date(view.createdAt)];
  if (view.trigger.text) origin.push(inline(cut(view.trigger.text, 200)));
  if (view.link) origin.push(`[View](${view.link.replace(/[()\s]/g, encodeURIComponent)})`);
  const head: string[] = [];
  if (view.description) head.push(esc(cut(view.description, 500)));
  head.push(origin.join(' · '));
  const tail: string[] = [];
  if (view.queue) tail.push(`🔒 queued behind ${inline(view.queue.key)}: position ${view.queue.position}${view.queue.holder ? `, held by ${inline(view.queue.holder)}` : ''}`);
  if (view.cancellingBy) tail.push(`🛑 cancelling, asked by ${who(view.cancellingBy)}`);
  tail.push(statusLine(view));
  const room = DISCORD_LIMITS.embedDescription - [...head, ...tail].join('\n\n').length - 40;
  const lines = checklistLines(view, stepLine, '*on failure:*');
  const shown = fitLines(lines, room);
  const body = [...head, shown, ...tail].filter((s) => s !== '').join('\n\n');
  const fields = Object.entries(view.inputs)
    .slice(0, 12)
    .map(([k, v]) => ({ name: cut(k, 100), value: inline(cut(String(v), 200)), inline: true }));
  if (view.final) fields.push(...Object.entries(view.outputs).slice(0, 12).map(([k, v]) => ({ name: cut(`output ${k}`, 100), value: inline(cut(v, 300)), inline: false })));
  const embed = { title: cut(`${RUN_EMOJI[view.state]} ${view.workflow}`, DISCORD_LIMITS.embedTitle), description: body, color: RUN_COLOR[view.state], fields };
  return message(`${view.workflow} ${view.runId}: ${stateLabel(view.state)}`, [embed]);
}

/** The lines that fit in `room` characters; when some do not, the last ones are replaced by a count. */
function fitLines(lines: string[], room: number): string {
  let used = 0;
  const out: string[] = [];
  for (const [i, line] of lines.entries()) {
    if (used + line.length + 1 > room - 30) {
      out.push(`… and ${lines.length - i} more`);
      break;
    }
    out.push(line);
    used += line.length + 1;
  }
  return out.join('\n');
}

function stepLine(step: StepView): string {
  let line = `${STEP_EMOJI[step.state]} **${esc(cut(step.name, 200))}**`;
  const detail = stepDetails(step);
  if (detail.length > 0) line += ` · ${detail.join(' · ')}`;
  const failure = stepFailure(step);
  if (failure !== undefined) line += `\n  ${esc(cut(failure, 300))}`;
  if (step.childRunId) line += ` · child run ${inline(step.childRunId)}`;
  return line;
}

function statusLine(view: RunView): string {
  if (view.gone) return `⚠️ **${esc(goneText(view))}**`;
  const took = formatDuration(view.durationMs);
  const why = view.error ? `: ${esc(cut(view.error, 1_000))}` : '';
  switch (view.state) {
    case 'succeeded':
      return `${RUN_EMOJI.succeeded} **Succeeded** in ${took}`;
    case 'failed':
      return `${RUN_EMOJI.failed} **Failed** after ${took}${why}`;
    case 'cancelled':
      return `${RUN_EMOJI.cancelled} **Cancelled** after ${took}${why}`;
    case 'timed_out':
      return `${RUN_EMOJI.timed_out} **Timed out** after ${took}`;
    case 'waiting':
      return `${RUN_EMOJI.waiting} **Waiting for approval** · ${took}`;
    case 'queued':
      return `${RUN_EMOJI.queued} **Queued**`;
    case 'running':
      return `${RUN_EMOJI.running} **Running** · ${took}`;
  }
}
