/**
 * An approval request in the run's thread: what is asked, who may decide and until when, with
 * Approve/Deny buttons while pending; once decided, who decided and when, with the buttons shown
 * disabled so the message still says what was offered.
 */
import { ButtonStyle, ComponentType, type APIEmbed } from 'discord-api-types/v10';
import { encodeActionId } from '../../../chat/platform.js';
import type { ApprovalDecisionView, ApprovalView } from '../../../chat/render-model.js';
import { DISCORD_LIMITS } from './limits.js';
import { cut, date, esc, inline, who } from './markdown.js';
import { message, type DiscordMessage } from './message.js';

export function formatApproval(view: ApprovalView): DiscordMessage {
  const approvers = view.roles.length > 0 ? `role ${view.roles.map((r) => inline(r)).join(' or ')}` : 'anyone but the requester';
  const lines = [esc(cut(view.message, 1_500))];
  const notable = view.decisions.slice(-8);
  if (notable.length > 0) lines.push('', ...notable.map(decisionLine));
  if (!view.pending && view.outcome) lines.push('', outcomeLine(view));
  const embed: APIEmbed = {
    title: cut(`✋ Approval needed: ${view.workflow} · ${view.stepName}`, DISCORD_LIMITS.embedTitle),
    description: cut(lines.join('\n'), DISCORD_LIMITS.embedDescription),
    color: view.pending ? 0xfee75c : view.outcome === 'approved' ? 0x57f287 : 0xed4245,
    fields: [
      { name: 'Requested by', value: who(view.requester), inline: true },
      { name: 'Approvals', value: cut(`${view.approvals} of ${view.minApprovers} (${approvers})`, DISCORD_LIMITS.fieldValue), inline: true },
      { name: 'Expires', value: date(view.expiresAt), inline: true },
      { name: 'Run', value: inline(view.runId), inline: true },
    ],
  };
  const disabled = !view.pending;
  const row = {
    type: ComponentType.ActionRow as const,
    components: [
      { type: ComponentType.Button as const, style: ButtonStyle.Success as const, label: 'Approve', custom_id: encodeActionId('approve', view.runId, view.stepId), disabled },
      { type: ComponentType.Button as const, style: ButtonStyle.Danger as const, label: 'Deny', custom_id: encodeActionId('deny', view.runId, view.stepId), disabled },
    ],
  };
  const fallback = view.pending ? `Approval needed for ${view.workflow} (${view.runId})` : `Approval ${view.outcome ?? 'closed'} for ${view.runId}`;
  return message(fallback, [embed], [row]);
}

function decisionLine(d: ApprovalDecisionView): string {
  // A decision that did not count must not look like one that did.
  const verb = !d.counted ? `❔ ${d.decision === 'approve' ? 'approved' : 'denied'}` : d.decision === 'approve' ? '✔️ approved' : '✖️ denied';
  const note = d.counted ? '' : ` (not counted${d.reason ? `: ${esc(cut(d.reason, 200))}` : ''})`;
  return `${who(d.user)} ${verb} ${date(d.at)}${note}`;
}

function outcomeLine(view: ApprovalView): string {
  const by = view.decidedBy ? ` by ${who(view.decidedBy.user)} ${date(view.decidedBy.at)}` : '';
  switch (view.outcome) {
    case 'approved':
      return `✅ **Approved**${by}`;
    case 'denied':
      return `⛔ **Denied**${by}`;
    case 'expired':
      return `⏰ **Expired** ${date(view.expiresAt)} without enough approvals`;
    default:
      return '';
  }
}
