/**
 * An approval request in the run's thread: what is asked, who may decide and until when, with
 * Approve/Deny buttons while pending; once decided, who decided and when, without buttons.
 */
import { encodeActionId } from '../../../chat/platform.js';
import type { ApprovalDecisionView, ApprovalView } from '../../../chat/render-model.js';
import { actions, button, context, fieldSections, finish, sections, type SlackMessage } from './blocks.js';
import { esc, inline, slackDate, who } from './mrkdwn.js';
import type { KnownBlock } from './slack-types.js';

export function formatApproval(view: ApprovalView): SlackMessage {
  const blocks: KnownBlock[] = [...sections(`:raised_hand: *Approval needed* for ${inline(view.workflow)} · step *${esc(view.stepName)}*\n${esc(view.message)}`)];
  const approvers = view.roles.length > 0 ? `role ${view.roles.map((r) => inline(r)).join(' or ')}` : 'anyone but the requester';
  blocks.push(
    ...fieldSections([
      { label: 'Requested by', value: who(view.requester) },
      { label: 'Approvals', value: `${view.approvals} of ${view.minApprovers} (${approvers})` },
      { label: 'Expires', value: slackDate(view.expiresAt) },
      { label: 'Run', value: inline(view.runId) },
    ]),
  );
  const notable = view.decisions.slice(-8);
  if (notable.length > 0) blocks.push(context(notable.map(decisionLine).join('\n')));
  if (view.pending) {
    blocks.push(
      actions(`approval|${view.runId}|${view.stepId}`, [
        button('Approve', encodeActionId('approve', view.runId, view.stepId), 'primary'),
        button('Deny', encodeActionId('deny', view.runId, view.stepId), 'danger'),
      ]),
    );
  } else if (view.outcome) {
    blocks.push(...sections(outcomeLine(view)));
  }
  const fallback = view.pending ? `Approval needed for ${view.workflow} (${view.runId}): ${view.message}` : `Approval ${view.outcome ?? 'closed'} for ${view.runId}`;
  return finish(fallback, blocks);
}

function decisionLine(d: ApprovalDecisionView): string {
  // A decision that did not count must not look like one that did.
  const verb = !d.counted ? `:grey_question: ${d.decision === 'approve' ? 'approved' : 'denied'}` : d.decision === 'approve' ? ':heavy_check_mark: approved' : ':heavy_multiplication_x: denied';
  const note = d.counted ? '' : ` (not counted${d.reason ? `: ${esc(d.reason)}` : ''})`;
  return `${who(d.user)} ${verb} ${slackDate(d.at)}${note}`;
}

function outcomeLine(view: ApprovalView): string {
  const by = view.decidedBy ? ` by ${who(view.decidedBy.user)} ${slackDate(view.decidedBy.at)}` : '';
  switch (view.outcome) {
    case 'approved':
      return `:white_check_mark: *Approved*${by}`;
    case 'denied':
      return `:no_entry: *Denied*${by}`;
    case 'expired':
      return `:alarm_clock: *Expired* ${slackDate(view.expiresAt)} without enough approvals`;
    default:
      return ' ';
  }
}
