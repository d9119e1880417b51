/**
 * One entry for every interaction, from the HTTP endpoint or the Gateway: `/ops` (and its
 * autocomplete), typed commands, Approve/Deny clicks and the secrets modal's submission.
 * `respond` sends the initial response; each path calls it once, within Discord's 3 seconds,
 * before anything touches Redis.
 */
import {
  ApplicationCommandOptionType,
  ApplicationCommandType,
  ComponentType,
  InteractionResponseType,
  InteractionType,
  MessageFlags,
  type APIApplicationCommandInteractionDataOption,
  type APIApplicationCommandAutocompleteInteraction,
  type APIInteraction,
  type APIMessageComponentInteraction,
  type APIModalSubmitInteraction,
} from 'discord-api-types/v10';
import { deliver, runAfterAck } from '../../chat/deliver.js';
import { decodeIncidentAction } from '../../chat/incident-model.js';
import type { ChatUser, ReplyTarget } from '../../chat/platform.js';
import { autocompleteChoices } from './autocomplete.js';
import { OPS_COMMAND, OPS_OPTION } from './commands/ops-command.js';
import { typedLine } from './commands/typed-commands.js';
import { formatContent } from './format/format.js';
import { PLATFORM } from './discord-platform.js';
import { chatUser, clickToAction, placeOf } from './inbound.js';
import { encodeReplyHandle } from './reply-handle.js';
import type { InteractionDeps, Respond } from './interaction-deps.js';
import { routeLine } from './handle-command.js';
import { askForSecrets, placeholder, secretArgs, SECRETS_ID, submittedLine } from './secret-modal.js';

const ACTION_ID = /^(approve|deny)\|/;

function stringOption(options: readonly APIApplicationCommandInteractionDataOption[] | undefined, name: string): { value: string; focused: boolean } | undefined {
  const o = options?.find((x) => x.name === name);
  if (!o || o.type !== ApplicationCommandOptionType.String) return undefined;
  return { value: o.value, focused: 'focused' in o && o.focused === true };
}

function ephemeralText(title: string, code: string): Parameters<Respond>[0] {
  return { type: InteractionResponseType.ChannelMessageWithSource, data: { ...formatContent({ kind: 'reply', view: { tone: 'error', title, blocks: [], ephemeral: true, code } }), flags: MessageFlags.Ephemeral } };
}

export async function handleInteraction(i: APIInteraction, respond: Respond, deps: InteractionDeps): Promise<void> {
  const user = chatUser(i);
  if (!user) {
    await respond(ephemeralText('This interaction names no user.', 'E_NO_USER'));
    return;
  }
  switch (i.type) {
    case InteractionType.ApplicationCommand: {
      const typed = i.data.type === ApplicationCommandType.ChatInput && i.data.name !== OPS_COMMAND ? deps.commands.get(i.data.name) : undefined;
      if (typed && i.data.type === ApplicationCommandType.ChatInput) {
        // A typed command is the line its options stand for: the router checks it like any line.
        const values = new Map((i.data.options ?? []).flatMap((o) => ('value' in o ? [[o.name, String(o.value)] as const] : [])));
        // Secret arguments are no options: their placeholders hold their place until the modal fills them.
        for (const arg of secretArgs(typed, deps.workflows().get(typed.workflow))) values.set(arg.toLowerCase(), placeholder(arg));
        await lineOrSecrets(i, user, typedLine(typed, values), respond, deps);
        return;
      }
      if (i.data.type !== ApplicationCommandType.ChatInput || i.data.name !== OPS_COMMAND) {
        deps.log.warn({ name: i.data.name }, 'unknown Discord command');
        await respond(ephemeralText(`Unknown command /${i.data.name}: run \`chatops discord register\` to update the bot's commands.`, 'E_UNKNOWN_COMMAND'));
        return;
      }
      const text = stringOption(i.data.options, OPS_OPTION)?.value ?? '';
      await lineOrSecrets(i, user, text, respond, deps);
      return;
    }
    case InteractionType.ModalSubmit:
      await handleSecrets(i, user, respond, deps);
      return;
    case InteractionType.ApplicationCommandAutocomplete:
      await respond({ type: InteractionResponseType.ApplicationCommandAutocompleteResult, data: { choices: autocompleteChoices(i as APIApplicationCommandAutocompleteInteraction, user, deps) } });
      return;
    case InteractionType.MessageComponent:
      await handleClick(i, respond, deps);
      return;
    default:
      await respond(ephemeralText('This kind of interaction is not handled.', 'E_UNSUPPORTED'));
  }
}

/** Routes the line, unless it wants secrets it does not give: then the answer is the modal asking for them. */
async function lineOrSecrets(i: APIInteraction, user: ChatUser, line: string, respond: Respond, deps: InteractionDeps): Promise<void> {
  const ask = askForSecrets(line, user, placeOf(i)?.channel ?? '', deps);
  if (!ask) {
    await routeLine(i, user, line, respond, deps);
    return;
  }
  const t0 = deps.now();
  await respond('modal' in ask ? ask.modal : ephemeralText(ask.problem, 'E_SECRETS'));
  deps.onAck?.(deps.now() - t0);
}

/** The secrets modal's submission: the line with its secrets, routed like any line. */
async function handleSecrets(i: APIModalSubmitInteraction, user: ChatUser, respond: Respond, deps: InteractionDeps): Promise<void> {
  if (!i.data.custom_id.startsWith(SECRETS_ID)) {
    await respond(ephemeralText('This form does not belong to a command.', 'E_UNKNOWN_FORM'));
    return;
  }
  const submitted = submittedLine(i.data, deps);
  if ('problem' in submitted) {
    await respond(ephemeralText(submitted.problem, 'E_SECRETS'));
    return;
  }
  await routeLine(i, user, submitted.line, respond, deps);
}

/**
 * Approve/Deny clicks. Acked at once (deferred update: the message stays as it is); the clicker
 * goes to the router, which checks policy and records the decision. A refusal is answered to the
 * clicker alone (ephemeral follow-up) and changes nothing; a decision is posted in the run's
 * thread, and the reporter updates the approval message with who decided and when.
 */
async function handleClick(i: APIMessageComponentInteraction, respond: Respond, deps: InteractionDeps): Promise<void> {
  const user = chatUser(i);
  const line = user && i.data.component_type === ComponentType.Button ? decodeIncidentAction(i.data.custom_id) : undefined;
  if (user && line) {
    await incidentClick(i, user, line, respond, deps);
    return;
  }
  const click = user && i.data.component_type === ComponentType.Button && ACTION_ID.test(i.data.custom_id) ? clickToAction(i, user) : undefined;
  if (!user || !click) {
    await respond(ephemeralText('This button does not belong to a run.', 'E_UNKNOWN_BUTTON'));
    return;
  }
  const t0 = deps.now();
  await respond({ type: InteractionResponseType.DeferredMessageUpdate });
  deps.onAck?.(deps.now() - t0);
  const result = await deps.router.handleClick(click);
  const to: ReplyTarget = { platform: click.platform, channel: click.channel, thread: click.message?.thread, user: user.identity, replyHandle: click.replyHandle };
  for (const r of result.replies) await deliver(deps, to, r);
  await runAfterAck(deps, to, result);
}

/**
 * A button on an incident's message (Acknowledge, Silence…, Run NAME): acked at once (deferred
 * update), then its line goes to the router as if the clicker typed it in the incident's thread (a
 * thread started from the message has the message's id), so policy, the timeline and the answers
 * are the typed command's. Answers go to the clicker alone; the thread shows the change.
 */
async function incidentClick(i: APIMessageComponentInteraction, user: ChatUser, line: string, respond: Respond, deps: InteractionDeps): Promise<void> {
  const place = placeOf(i);
  if (!place) {
    await respond(ephemeralText('This interaction names no channel.', 'E_NO_CHANNEL'));
    return;
  }
  const t0 = deps.now();
  await respond({ type: InteractionResponseType.DeferredMessageUpdate });
  deps.onAck?.(deps.now() - t0);
  const replyHandle = encodeReplyHandle(i.id, i.token);
  const result = await deps.router.handleMessage({ platform: PLATFORM, user, channel: place.channel, thread: i.message.id, text: line, messageId: i.id, replyHandle });
  const to: ReplyTarget = { platform: PLATFORM, channel: place.channel, thread: i.message.id, user: user.identity, replyHandle };
  for (const r of result.replies) await deliver(deps, to, r);
  await runAfterAck(deps, to, result);
}
