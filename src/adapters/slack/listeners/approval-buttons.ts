/**
 * Approve/Deny button clicks. Acked at once; the clicker (with the policy groups they belong to)
 * goes to the router, which checks policy and records the decision. A refusal is answered to the
 * clicker alone through the response_url and changes nothing; a decision is posted in the run's
 * thread, and the reporter updates the approval message with who decided and when.
 */
import type { App } from '@slack/bolt';
import type { ReplyTarget } from '../../../chat/platform.js';
import { chatUser, clickToAction, PLATFORM } from '../inbound.js';
import { afterAck, deliver, type ListenerDeps } from './deps.js';

const ACTION_ID = /^(approve|deny)\|/;

export function registerApprovalButtons(app: App, deps: ListenerDeps): void {
  app.action(ACTION_ID, async ({ ack, body, action }) => {
    await ack();
    if (body.type !== 'block_actions' || !('action_id' in action)) return;
    const message = 'message' in body ? (body.message as { ts?: string; thread_ts?: string } | undefined) : undefined;
    const user = await chatUser(body.user.id, deps.groupsOf, body.user.name);
    const click = clickToAction(
      { actionId: action.action_id, userId: body.user.id, channel: body.channel?.id, messageTs: message?.ts, threadTs: message?.thread_ts, responseUrl: body.response_url },
      user,
    );
    if (!click) {
      deps.log.warn({ actionId: action.action_id }, 'button click without a run or channel ignored');
      return;
    }
    const result = await deps.router.handleClick(click);
    const thread = message?.thread_ts ?? message?.ts;
    for (const r of result.replies) {
      const ephemeral = r.kind === 'reply' ? r.view.ephemeral : true;
      const to: ReplyTarget = { platform: PLATFORM, channel: click.channel, thread, user: user.identity, replyHandle: ephemeral ? body.response_url : undefined };
      await deliver(deps, to, r);
    }
    const to: ReplyTarget = { platform: PLATFORM, channel: click.channel, thread, user: user.identity, replyHandle: body.response_url };
    await afterAck(deps, to, result);
  });
}
