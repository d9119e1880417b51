/** Formats any chat-layer content as a Slack message (fallback text + Block Kit blocks). */
import type { ChatContent } from '../../../chat/platform.js';
import { context, finish, sections, type SlackMessage } from './blocks.js';
import { formatApproval } from './format-approval.js';
import { formatIncident, formatIncidentChange } from './format-incident.js';
import { formatStepOutput } from './format-output.js';
import { formatReply } from './format-reply.js';
import { formatRun } from './format-run.js';
import { esc, inline } from './mrkdwn.js';

export type { SlackMessage } from './blocks.js';
export { SLACK_OUTPUT_LIMITS } from './format-output.js';
export { SLACK_REPLY_LIMITS } from './format-reply.js';

export function formatContent(content: ChatContent): SlackMessage {
  switch (content.kind) {
    case 'run':
      return formatRun(content.view);
    case 'step-output':
      return formatStepOutput(content.view);
    case 'approval':
      return formatApproval(content.view);
    case 'queued': {
      const q = content.view;
      const holder = q.holder ? `, held by ${inline(q.holder)}` : '';
      return finish(`Run ${q.runId} queued (position ${q.position})`, [context(`:lock: run ${inline(q.runId)} is queued behind ${inline(q.key)}: position ${q.position}${holder}`)]);
    }
    case 'notice':
      return finish(content.view.text, sections(`:mega: ${esc(content.view.text)}`));
    case 'reply':
      return formatReply(content.view);
    case 'incident':
      return formatIncident(content.view);
    case 'incident-change':
      return formatIncidentChange(content.view);
  }
}
