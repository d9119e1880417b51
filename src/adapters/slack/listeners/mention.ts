/**
 * `@chatops restart api in prod` works like the slash command; typed in a run's thread, `status`,
 * `cancel` and `transcript` apply to that run. Bolt acks events itself before listeners run;
 * answers go into the mention's thread (or start one under it).
 */
import type { App } from '@slack/bolt';
import type { ReplyTarget } from '../../../chat/platform.js';
import { chatUser, mentionToMessage, PLATFORM, withThreadRun } from '../inbound.js';
import { plainText } from '../slack-text.js';
import { afterAck, deliver, type ListenerDeps } from './deps.js';

export function registerMention(app: App, deps: ListenerDeps): void {
  app.event('app_mention', async ({ event }) => {
    if (!event.user) return;
    const user = await chatUser(event.user, deps.groupsOf);
    const text = await withThreadRun(plainText(event.text), event.channel, event.thread_ts, deps.threadRuns, deps.command);
    const result = await deps.router.handleMessage(mentionToMessage(event, user, text));
    const target: ReplyTarget = { platform: PLATFORM, channel: event.channel, thread: event.thread_ts ?? event.ts, user: user.identity };
    for (const r of result.replies) await deliver(deps, target, r);
    await afterAck(deps, target, result);
  });
}
