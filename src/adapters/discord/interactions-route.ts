/**
 * POST /discord/interactions on the shared fastify server, as its own plugin. The Ed25519
 * signature is checked over the raw bytes before anything is parsed (401 and nothing started on a
 * bad or missing signature, or a timestamp more than 5 minutes off); a malformed body gets 400;
 * PING is answered with PONG. Everything else goes to the handler, whose initial response is the
 * HTTP answer: it goes out as soon as the handler responds, and a safety timer answers (deferred)
 * before Discord's 3 seconds whatever happens. Stateless: any replica takes any interaction.
 */
import { InteractionResponseType, InteractionType, type APIInteraction, type APIInteractionResponse } from 'discord-api-types/v10';
import type { FastifyInstance } from 'fastify';
import type { KeyObject } from 'node:crypto';
import type { Logger } from '../../lib/logger.js';
import { DEFAULT_SIGNED_BODY_LIMIT, rawBodyOf, rawBodyScope } from '../../server/raw-body.js';
import { initialResponse } from './initial-response.js';
import { checkDiscordSignature } from './signature.js';

export const DISCORD_INTERACTIONS_PATH = '/discord/interactions';

export type InteractionOutcome = 'accepted' | 'unauthorized' | 'malformed' | 'late_ack' | 'error';

export interface InteractionsRouteOptions {
  publicKey: KeyObject;
  log: Logger;
  handle: (interaction: APIInteraction, respond: (body: APIInteractionResponse) => Promise<boolean>) => Promise<void>;
  now?: () => number;
  onRequest?: (outcome: InteractionOutcome) => void;
}

function parseInteraction(raw: Buffer): APIInteraction | string {
  let body: unknown;
  try {
    body = JSON.parse(raw.toString('utf8'));
  } catch {
    return 'body is not valid JSON';
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return 'body is not an object';
  const b = body as Record<string, unknown>;
  if (typeof b.type !== 'number' || !Object.values(InteractionType).includes(b.type)) return 'type is not an interaction type';
  if (typeof b.id !== 'string' || typeof b.token !== 'string' || typeof b.application_id !== 'string') return 'id, token or application_id missing';
  if (b.type !== InteractionType.Ping && (typeof b.data !== 'object' || b.data === null)) return 'data missing';
  return body as APIInteraction;
}

export async function interactionsRoute(server: FastifyInstance, opts: InteractionsRouteOptions): Promise<void> {
  const now = opts.now ?? Date.now;
  await rawBodyScope(server, DEFAULT_SIGNED_BODY_LIMIT, (scope) => {
    scope.post(DISCORD_INTERACTIONS_PATH, async (req, reply) => {
      const raw = rawBodyOf(req.body);
      const problem = checkDiscordSignature({ publicKey: opts.publicKey, body: raw, signature: req.headers['x-signature-ed25519'], timestamp: req.headers['x-signature-timestamp'], nowMs: now() });
      if (problem) {
        opts.log.warn({ problem, ip: req.ip }, 'discord interaction refused');
        opts.onRequest?.('unauthorized');
        return reply.code(401).send({ error: problem });
      }
      const interaction = parseInteraction(raw);
      if (typeof interaction === 'string') {
        opts.log.warn({ reason: interaction }, 'malformed discord interaction');
        opts.onRequest?.('malformed');
        return reply.code(400).send({ error: 'malformed_interaction', reason: interaction });
      }
      if (interaction.type === InteractionType.Ping) return reply.code(200).send({ type: InteractionResponseType.Pong });
      const answer = await new Promise<{ status: number; body?: APIInteractionResponse }>((resolve) => {
        const initial = initialResponse(
          interaction.type,
          async (body) => {
            resolve({ status: 200, body });
            return true;
          },
          {
            onLate: () => {
              opts.log.error({ type: interaction.type }, 'discord interaction not answered in time; deferred');
              opts.onRequest?.('late_ack');
            },
          },
        );
        opts.handle(interaction, initial.respond).then(
          () => {
            initial.finish();
            resolve({ status: 500 });
          },
          (err: unknown) => {
            initial.finish();
            opts.log.error({ err }, 'discord interaction handling failed');
            resolve({ status: 500 });
          },
        );
      });
      opts.onRequest?.(answer.status === 200 ? 'accepted' : 'error');
      return answer.body ? reply.code(answer.status).send(answer.body) : reply.code(answer.status).send({ error: 'not_answered' });
    });
  });
}
