/** Formats any chat-layer content as a Discord message (content, embeds, components). */
import type { ChatContent } from '../../../chat/platform.js';
import { formatApproval } from './format-approval.js';
import { formatIncident, formatIncidentChange } from './format-incident.js';
import { formatStepOutput } from './format-output.js';
import { formatReply } from './format-reply.js';
import { formatRun } from './format-run.js';
import { DISCORD_LIMITS } from './limits.js';
import { cut, esc, inline } from './markdown.js';
import { message, type DiscordMessage } from './message.js';

export type { DiscordMessage } from './message.js';
export { DISCORD_OUTPUT_LIMITS } from './format-output.js';
export { DISCORD_REPLY_LIMITS } from './format-reply.js';

export function formatContent(content: ChatContent): DiscordMessage {
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
      return message(`🔒 run ${inline(q.runId)} is queued behind ${inline(q.key)}: position ${q.position}${holder}`);
    }
    case 'notice':
      return message(cut(`📣 ${esc(content.view.text)}`, DISCORD_LIMITS.content));
    case 'reply':
      return formatReply(content.view);
    case 'incident':
      return formatIncident(content.view);
    case 'incident-change':
      return formatIncidentChange(content.view);
  }
}
