/**
 * The slash command (`/ops …`). Slack needs the ack within 3 seconds in every case. The router
 * answers from memory (parse, policy, inputs, the new run's id), so its answer — `Starting
 * r-xxxx` or the usage error — is the ack's body; only then is the run written (afterAck), and
 * anything that goes wrong from there (lock held, Redis down) follows through the response_url.
 * Should the router be slow anyway (a built-in reading Redis, a slow user-group lookup), the ack
 * says "working on it" at the budget and the answer follows through the response_url too.
 */
import type { App } from '@slack/bolt';
import type { ReplyTarget } from '../../../chat/platform.js';
import type { RouteResult } from '../../../chat/router.js';
import { formatContent } from '../block-kit/format.js';
import { chatUser, PLATFORM, slashToMessage } from '../inbound.js';
import { afterAck, deliver, type ListenerDeps } from './deps.js';

export function registerSlashCommand(app: App, deps: ListenerDeps): void {
  app.command(deps.command, async ({ command, ack }) => {
    const t0 = deps.now();
    const target: ReplyTarget = { platform: PLATFORM, channel: command.channel_id, user: `slack:${command.user_id}`, replyHandle: command.response_url };
    const work = (async (): Promise<RouteResult> => {
      const user = await chatUser(command.user_id, deps.groupsOf, command.user_name);
      return deps.router.handleMessage(slashToMessage(command, user));
    })();
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), deps.ackBudgetMs);
    });
    const first = await Promise.race([work, late]).catch((err: unknown) => (err instanceof Error ? err : new Error(String(err))));
    clearTimeout(timer);

    if (first instanceof Error) {
      await ack({ response_type: 'ephemeral', text: ':warning: Something went wrong handling this command; it was logged.' });
      deps.onAck?.(deps.now() - t0);
      deps.log.error({ err: first }, 'slash command failed');
      return;
    }
    if (first === 'late') {
      await ack({ response_type: 'ephemeral', text: ':hourglass_flowing_sand: Working on it…' });
      deps.onAck?.(deps.now() - t0);
      const result = await work.catch((err: unknown) => {
        deps.log.error({ err }, 'slash command failed after the ack');
        return undefined;
      });
      if (!result) {
        await deliver(deps, target, { kind: 'reply', view: { tone: 'error', title: 'Something went wrong handling this command; it was logged.', blocks: [], ephemeral: true } });
        return;
      }
      for (const r of result.replies) await deliver(deps, target, r);
      await afterAck(deps, target, result);
      return;
    }

    // A reply with an attachment needs a Web API upload, so it is not the ack's body: it follows.
    const head = first.replies[0];
    const inAck = head && !(head.kind === 'reply' && head.view.attachment) ? head : undefined;
    if (inAck) {
      const msg = formatContent(inAck);
      const ephemeral = inAck.kind === 'reply' ? inAck.view.ephemeral : true;
      await ack({ response_type: ephemeral ? 'ephemeral' : 'in_channel', text: msg.text, blocks: msg.blocks });
    } else {
      await ack();
    }
    deps.onAck?.(deps.now() - t0);
    for (const r of inAck ? first.replies.slice(1) : first.replies) await deliver(deps, target, r);
    await afterAck(deps, target, first);
  });
}
