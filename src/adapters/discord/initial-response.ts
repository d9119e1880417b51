/**
 * An interaction's initial response, sent exactly once, whichever way it travels (the HTTP
 * answer, or the callback route on the Gateway): the handler's own answer, or, when the handler
 * has not answered `deadlineMs` after the interaction arrived, a deferred one, so Discord keeps
 * the interaction ("thinking…") and the handler's answer replaces it (`respond` then says false).
 */
import { InteractionResponseType, InteractionType, MessageFlags, type APIInteractionResponse } from 'discord-api-types/v10';
import type { Respond } from './interaction-deps.js';

/** Answer before Discord gives up at 3 s, leaving room for the network. */
export const ACK_DEADLINE_MS = 2_500;

/** The safety answer when the handler has not responded in time: defer, so Discord keeps the interaction. */
export function fallbackAnswer(type: InteractionType): APIInteractionResponse {
  if (type === InteractionType.MessageComponent) return { type: InteractionResponseType.DeferredMessageUpdate };
  return { type: InteractionResponseType.DeferredChannelMessageWithSource, data: { flags: MessageFlags.Ephemeral } };
}

export interface InitialResponse {
  /** The handler's answer: true when it went out as the initial response, false when a deferred one went first. */
  respond: Respond;
  /** Whether anything was sent (or is being sent). */
  readonly sent: boolean;
  /** Stops the safety timer (the handler is done). */
  finish(): void;
}

/**
 * `send` delivers one initial response and says whether Discord took it; `onLate` is told when
 * the safety answer had to go out.
 */
export function initialResponse(type: InteractionType, send: (body: APIInteractionResponse) => Promise<boolean>, opts: { deadlineMs?: number; onLate?: () => void } = {}): InitialResponse {
  let first: Promise<boolean> | undefined;
  const timer = setTimeout(() => {
    if (first) return;
    first = send(fallbackAnswer(type));
    opts.onLate?.();
  }, opts.deadlineMs ?? ACK_DEADLINE_MS);
  return {
    async respond(body) {
      if (first) {
        await first;
        return false;
      }
      clearTimeout(timer);
      first = send(body);
      return first;
    },
    get sent() {
      return first !== undefined;
    },
    finish() {
      clearTimeout(timer);
    },
  };
}
