/**
 * A Bolt Receiver on the shared fastify server: POST /slack/events. It checks the signature over
 * the raw bytes (401 and nothing started on a bad signature or a timestamp outside 5 minutes),
 * parses the body (400 when malformed), answers url_verification and ssl_check itself, and hands
 * everything else to `app.processEvent` with an `ack` that sends the HTTP response. The response
 * goes out as soon as a listener acks; if none does (no listener matched) it goes out when Bolt is
 * done, and a safety timer answers before Slack's 3-second limit whatever happens.
 */
import type { App, Receiver, ReceiverEvent } from '@slack/bolt';
import { ReceiverMultipleAckError } from '@slack/bolt';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Logger } from '../../lib/logger.js';
import { DEFAULT_SIGNED_BODY_LIMIT, rawBodyOf, rawBodyScope } from '../../server/raw-body.js';
import { parseSlackBody } from './parse-body.js';
import { checkSlackSignature } from './signature.js';

export const SLACK_EVENTS_PATH = '/slack/events';
/** Answer before Slack gives up at 3 s, leaving room for the network. */
export const ACK_DEADLINE_MS = 2_500;

export interface SlackReceiverOptions {
  signingSecret: string;
  log: Logger;
  now?: () => number;
  bodyLimit?: number;
  /** Called with each request's outcome, for metrics. */
  onRequest?: (outcome: 'accepted' | 'unauthorized' | 'malformed' | 'late_ack' | 'error') => void;
}

type Answer = { status: number; body?: unknown };

export class SlackHttpReceiver implements Receiver {
  private app: App | undefined;
  private readonly now: () => number;

  constructor(private readonly opts: SlackReceiverOptions) {
    this.now = opts.now ?? Date.now;
  }

  init(app: App): void {
    this.app = app;
  }

  /** The server's lifecycle belongs to `serve`; routes are mounted with `mount`. */
  async start(): Promise<void> {}
  async stop(): Promise<void> {}

  async mount(server: FastifyInstance): Promise<void> {
    await rawBodyScope(server, this.opts.bodyLimit ?? DEFAULT_SIGNED_BODY_LIMIT, (scope) => {
      scope.post(SLACK_EVENTS_PATH, async (req, reply) => {
        const raw = rawBodyOf(req.body).toString('utf8');
        // Slack's periodic certificate check of slash command URLs comes unsigned: answer it and
        // do nothing else with it (as Bolt's own receivers do).
        if (isSslCheck(req.headers['content-type'], raw)) return reply.code(200).send();
        const problem = checkSlackSignature({
          signingSecret: this.opts.signingSecret,
          body: raw,
          signature: req.headers['x-slack-signature'],
          timestamp: req.headers['x-slack-request-timestamp'],
          nowMs: this.now(),
        });
        if (problem) {
          this.opts.log.warn({ problem, ip: req.ip }, 'slack request refused');
          this.opts.onRequest?.('unauthorized');
          return reply.code(401).send({ ok: false, error: problem });
        }
        const parsed = parseSlackBody(req.headers['content-type'], raw);
        if (!parsed.ok) {
          this.opts.log.warn({ reason: parsed.reason }, 'malformed slack request');
          this.opts.onRequest?.('malformed');
          return reply.code(400).send({ ok: false, error: 'malformed_payload', reason: parsed.reason });
        }
        if (parsed.sslCheck) return reply.code(200).send();
        const body = parsed.body;
        if (body.type === 'url_verification') return reply.code(200).send({ challenge: body.challenge });
        const answer = await this.dispatch(body, req.headers);
        this.opts.onRequest?.(answer.status === 200 ? 'accepted' : 'error');
        return send(reply, answer);
      });
    });
  }

  private dispatch(body: Record<string, unknown>, headers: Record<string, string | string[] | undefined>): Promise<Answer> {
    const app = this.app;
    if (!app) return Promise.resolve({ status: 503, body: { ok: false, error: 'not_ready' } });
    return new Promise<Answer>((resolve) => {
      let answered = false;
      const answer = (a: Answer) => {
        if (answered) return false;
        answered = true;
        clearTimeout(timer);
        resolve(a);
        return true;
      };
      const timer = setTimeout(() => {
        if (answer({ status: 200 })) {
          this.opts.log.error({ type: body.type ?? body.command }, 'slack request not acknowledged in time; answered empty');
          this.opts.onRequest?.('late_ack');
        }
      }, ACK_DEADLINE_MS);
      const retryNum = Number(headers['x-slack-retry-num']);
      const retryReason = headers['x-slack-retry-reason'];
      const event: ReceiverEvent = {
        body,
        retryNum: Number.isFinite(retryNum) ? retryNum : undefined,
        retryReason: typeof retryReason === 'string' ? retryReason : undefined,
        ack: async (response?: unknown) => {
          if (!answer({ status: 200, body: response })) throw new ReceiverMultipleAckError();
        },
      };
      app.processEvent(event).then(
        () => answer({ status: 200 }),
        (err: unknown) => {
          this.opts.log.error({ err }, 'slack event processing failed');
          answer({ status: 500 });
        },
      );
    });
  }
}

function isSslCheck(contentType: string | undefined, raw: string): boolean {
  return (contentType ?? '').startsWith('application/x-www-form-urlencoded') && new URLSearchParams(raw).get('ssl_check') === '1';
}

function send(reply: FastifyReply, answer: Answer): FastifyReply {
  reply.code(answer.status);
  if (answer.body === undefined || answer.body === '') return reply.send();
  if (typeof answer.body === 'string') return reply.type('text/plain; charset=utf-8').send(answer.body);
  return reply.type('application/json; charset=utf-8').send(JSON.stringify(answer.body));
}
