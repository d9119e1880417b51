/**
 * `/ops command:<text>`: the text goes through the same router as Slack's `/ops`. Discord needs
 * the initial response within 3 seconds in every case. The router answers from memory (parse,
 * policy, inputs, the new run's id), so its answer — `Starting r-xxxx` or the usage error — is
 * the initial response; only then is the run written (afterAck), and anything that goes wrong
 * from there follows through the interaction's webhook. Should the router be slow anyway (a
 * built-in reading Redis), the ack is a deferred response ("thinking…") at the budget, and the
 * answer replaces it when it comes.
 */
import { InteractionResponseType, MessageFlags, type APIInteraction } from 'discord-api-types/v10';
import { deliver, runAfterAck } from '../../chat/deliver.js';
import type { ChatContent, ChatUser, ReplyTarget } from '../../chat/platform.js';
import type { RouteResult } from '../../chat/router.js';
import { withThreadRun } from '../../chat/thread-run.js';
import { formatContent } from './format/format.js';
import { commandToMessage, replyTarget } from './inbound.js';
import type { InteractionDeps, Respond } from './interaction-deps.js';

const FAILED: ChatContent = { kind: 'reply', view: { tone: 'error', title: 'Something went wrong handling this command; it was logged.', blocks: [], ephemeral: true } };

function isEphemeral(c: ChatContent): boolean {
  return c.kind === 'reply' ? c.view.ephemeral : true;
}

/** Routes one line typed by `user` (from `/ops` or a typed command) and answers the interaction. */
export async function routeLine(i: APIInteraction, user: ChatUser, text: string, respond: Respond, deps: InteractionDeps): Promise<void> {
  const t0 = deps.now();
  const target: ReplyTarget = replyTarget(i, user);
  const work = (async (): Promise<RouteResult> => {
    const msg = commandToMessage(i, user, text);
    if (!msg) return { replies: [{ kind: 'reply', view: { tone: 'error', title: 'This interaction names no channel.', blocks: [], ephemeral: true, code: 'E_NO_CHANNEL' } }] };
    const thread = msg.thread;
    if (thread && deps.threadRuns) {
      const runs = deps.threadRuns;
      msg.text = await withThreadRun(msg.text, [], () => runs.runOf(thread));
    }
    return deps.router.handleMessage(msg);
  })();
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), deps.ackBudgetMs);
  });
  const first = await Promise.race([work, late]).catch((err: unknown) => (err instanceof Error ? err : new Error(String(err))));
  clearTimeout(timer);
  const replaceAnswer = async (content: ChatContent) => {
    try {
      await deps.platform.editOriginal(target.replyHandle ?? '', content);
    } catch (err) {
      deps.log.warn({ err }, 'could not replace the deferred answer; sending it as a follow-up');
      await deliver(deps, target, content);
    }
  };
  /** The initial response; when a deferred one already went out, `content` replaces it instead. */
  const ack = async (body: Parameters<Respond>[0], content?: ChatContent) => {
    const first = await respond(body);
    deps.onAck?.(deps.now() - t0);
    if (!first && content) await replaceAnswer(content);
  };

  if (first instanceof Error) {
    deps.log.error({ err: first }, 'command failed');
    await ack({ type: InteractionResponseType.ChannelMessageWithSource, data: { ...formatContent(FAILED), flags: MessageFlags.Ephemeral } }, FAILED);
    return;
  }
  let result: RouteResult;
  let head: ChatContent | undefined;
  if (first === 'late' || (first.replies[0]?.kind === 'reply' && first.replies[0].view.attachment)) {
    // Deferred: "thinking…" now, the answer (or a reply with a file) replaces it when ready.
    await ack({ type: InteractionResponseType.DeferredChannelMessageWithSource, data: { flags: MessageFlags.Ephemeral } });
    const done = first === 'late' ? await work.catch((err: unknown) => (deps.log.error({ err }, 'command failed after the ack'), undefined)) : first;
    head = done?.replies[0] ?? FAILED;
    await replaceAnswer(head);
    if (!done) return;
    result = done;
  } else {
    result = first;
    head = result.replies[0];
    if (head) await ack({ type: InteractionResponseType.ChannelMessageWithSource, data: { ...formatContent(head), ...(isEphemeral(head) ? { flags: MessageFlags.Ephemeral } : {}) } }, head);
    else await ack({ type: InteractionResponseType.DeferredChannelMessageWithSource, data: { flags: MessageFlags.Ephemeral } });
  }
  for (const r of result.replies.slice(1)) await deliver(deps, target, r);
  await runAfterAck(deps, target, result);
}
