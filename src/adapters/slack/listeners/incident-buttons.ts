/**
 * Buttons on an incident's message (Acknowledge, Silence 1h/4h, Unsilence). Acked at once; each
 * sends its line (`ack i-…`) to the router as if the clicker typed it in the incident's thread, so
 * policy, the timeline and the answers are those of the typed command. Answers go to the clicker
 * alone (response_url); the thread shows the change through the incident reporter.
 */
import type { App } from '@slack/bolt';
import { decodeIncidentAction } from '../../../chat/incident-model.js';
import type { ReplyTarget } from '../../../chat/platform.js';
import { chatUser, PLATFORM } from '../inbound.js';
import { afterAck, deliver, type ListenerDeps } from './deps.js';

export function registerIncidentButtons(app: App, deps: ListenerDeps): void {
  app.action(/^incident\|/, async ({ ack, body, action }) => {
    await ack();
    if (body.type !== 'block_actions' || !('action_id' in action)) return;
    const command = decodeIncidentAction(action.action_id);
    const message = 'message' in body ? (body.message as { ts?: string; thread_ts?: string } | undefined) : undefined;
    const channel = body.channel?.id;
    if (!command || !channel || !message?.ts) {
      deps.log.warn({ actionId: action.action_id }, 'incident button click without a command, channel or message ignored');
      return;
    }
    const user = await chatUser(body.user.id, deps.groupsOf, body.user.name);
    const thread = message.thread_ts ?? message.ts;
    const result = await deps.router.handleMessage({ platform: PLATFORM, user, channel, thread, text: command, messageId: `${channel}:${message.ts}:${action.action_id}:${'action_ts' in action ? String(action.action_ts) : ''}`, replyHandle: body.response_url });
    const to: ReplyTarget = { platform: PLATFORM, channel, thread, user: user.identity, replyHandle: body.response_url };
    for (const r of result.replies) await deliver(deps, to, r);
    await afterAck(deps, to, result);
  });
}
