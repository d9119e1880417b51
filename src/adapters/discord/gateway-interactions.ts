/**
 * Interactions from the Gateway, handed to the same handler as the HTTP endpoint's. With no HTTP
 * response to answer in, the initial response goes to the interaction callback route
 * (POST /interactions/{id}/{token}/callback, `auth: false`: the interaction token is the
 * credential), within the same deadline and with the same deferred safety answer.
 */
import { DiscordAPIError, type REST } from '@discordjs/rest';
import { InteractionResponseType, MessageFlags, Routes, type APIInteraction, type APIInteractionResponse } from 'discord-api-types/v10';
import type { Logger } from '../../lib/logger.js';
import { formatContent } from './format/format.js';
import { initialResponse } from './initial-response.js';
import type { Respond } from './interaction-deps.js';
import type { InteractionOutcome } from './interactions-route.js';

export interface GatewayInteractionOptions {
  rest: REST;
  applicationId: string;
  log: Logger;
  handle: (interaction: APIInteraction, respond: Respond) => Promise<void>;
  /** Handlers under way: a stopping front waits for them. */
  pending: Set<Promise<unknown>>;
  onRequest?: (outcome: InteractionOutcome) => void;
}

const FAILED: APIInteractionResponse = {
  type: InteractionResponseType.ChannelMessageWithSource,
  data: { ...formatContent({ kind: 'reply', view: { tone: 'error', title: 'Something went wrong handling this; it was logged.', blocks: [], ephemeral: true } }), flags: MessageFlags.Ephemeral },
};

/** Takes one INTERACTION_CREATE payload: answers it through the callback route and runs the handler. */
export function gatewayInteractionHandler(opts: GatewayInteractionOptions): (interaction: APIInteraction) => void {
  return (interaction) => {
    if (interaction.application_id !== opts.applicationId) {
      opts.log.warn({ application: interaction.application_id }, 'interaction for another application ignored');
      return;
    }
    const log = opts.log.child({ interaction: interaction.id });
    const send = async (body: APIInteractionResponse): Promise<boolean> => {
      try {
        await opts.rest.post(Routes.interactionCallback(interaction.id, interaction.token), { body, auth: false });
        return true;
      } catch (err) {
        // 10062: too late (Discord gave up on it); 40060: already answered. Either way the handler's
        // answer has to go another way (the caller edits or follows up, or writes by bot token).
        log.error({ err, code: err instanceof DiscordAPIError ? err.code : undefined }, 'discord did not take the initial response');
        return false;
      }
    };
    const initial = initialResponse(interaction.type, send, { onLate: () => (log.error({ type: interaction.type }, 'discord interaction not answered in time; deferred'), opts.onRequest?.('late_ack')) });
    const work = opts.handle(interaction, initial.respond).then(
      () => opts.onRequest?.('accepted'),
      async (err: unknown) => {
        log.error({ err }, 'discord interaction handling failed');
        opts.onRequest?.('error');
        if (!initial.sent) await initial.respond(FAILED);
      },
    );
    const tracked = work.finally(() => {
      initial.finish();
      opts.pending.delete(tracked);
    });
    opts.pending.add(tracked);
  };
}
