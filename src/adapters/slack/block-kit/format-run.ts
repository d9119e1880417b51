/**
 * The run's header message: the root of its thread, edited in place as a checklist of steps and
 * finally the run's status and duration.
 */
import { formatDuration } from '../../../workflow/duration.js';
import { goneText, type RunView, type StepView } from '../../../chat/render-model.js';
import { checklistLines, stepDetails, stepFailure } from '../../../chat/step-detail.js';
import { context, fieldSections, finish, header, section, sections, type SlackMessage } from './blocks.js';
import { RUN_EMOJI, STEP_EMOJI, stateLabel } from './emoji.js';
import { cut, esc, inline, link, slackDate, who } from './mrkdwn.js';
import type { KnownBlock } from './slack-types.js';

export function formatRun(view: RunView): SlackMessage {
  const blocks: KnownBlock[] = [header(`${RUN_EMOJI[view.state]} ${view.workflow}`)];
  if (view.description) blocks.push(section(esc(cut(view.description, 2_000))));
  const origin = [`run ${inline(view.runId)}`, `started by ${who(view.requester)}`, slackDate(view.createdAt)];
  if (view.trigger.text) origin.push(inline(cut(view.trigger.text, 200)));
  if (view.link) origin.push(link(view.link, 'View'));
  blocks.push(context(origin.join(' · ')));
  const inputs = Object.entries(view.inputs);
  if (inputs.length > 0) blocks.push(...fieldSections(inputs.slice(0, 20).map(([k, v]) => ({ label: esc(k), value: inline(cut(String(v), 1_000)) }))));
  if (inputs.length > 20) blocks.push(context(`… and ${inputs.length - 20} more inputs`));
  if (view.steps.length > 0) blocks.push(...sections(checklist(view)));
  if (view.queue) {
    const holder = view.queue.holder ? `, held by ${inline(view.queue.holder)}` : '';
    blocks.push(context(`:lock: queued behind ${inline(view.queue.key)}: position ${view.queue.position}${holder}`));
  }
  if (view.cancellingBy) blocks.push(context(`:octagonal_sign: cancelling, asked by ${who(view.cancellingBy)}`));
  // The status and outputs are the tail: kept even when a huge checklist fills the message.
  const tail: KnownBlock[] = [section(statusLine(view))];
  const outputs = Object.entries(view.outputs).slice(0, 10);
  if (view.final && outputs.length > 0) tail.push(...fieldSections(outputs.map(([k, v]) => ({ label: esc(k), value: inline(cut(v, 1900)) }))));
  return finish(`${view.workflow} ${view.runId}: ${stateLabel(view.state)}`, blocks, tail);
}

function checklist(view: RunView): string {
  return checklistLines(view, stepLine, '_on failure:_').join('\n');
}

function stepLine(step: StepView): string {
  let line = `${STEP_EMOJI[step.state]} *${esc(step.name)}*`;
  const detail = stepDetails(step);
  if (detail.length > 0) line += ` · ${detail.join(' · ')}`;
  const failure = stepFailure(step);
  if (failure !== undefined) line += `\n      ${esc(cut(failure, 300))}`;
  if (step.childRunId) line += ` · child run ${inline(step.childRunId)}`;
  return line;
}

function statusLine(view: RunView): string {
  if (view.gone) return `:warning: *${esc(goneText(view))}*`;
  const took = formatDuration(view.durationMs);
  switch (view.state) {
    case 'succeeded':
      return `${RUN_EMOJI.succeeded} *Succeeded* in ${took}`;
    case 'failed':
      return `${RUN_EMOJI.failed} *Failed* after ${took}${view.error ? `: ${esc(cut(view.error, 1500))}` : ''}`;
    case 'cancelled':
      return `${RUN_EMOJI.cancelled} *Cancelled* after ${took}${view.error ? `: ${esc(cut(view.error, 1500))}` : ''}`;
    case 'timed_out':
      return `${RUN_EMOJI.timed_out} *Timed out* after ${took}`;
    case 'waiting':
      return `${RUN_EMOJI.waiting} *Waiting for approval* · ${took}`;
    case 'queued':
      return `${RUN_EMOJI.queued} *Queued*`;
    case 'running':
      return `${RUN_EMOJI.running} *Running* · ${took}`;
  }
}
