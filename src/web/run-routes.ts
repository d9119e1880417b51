/**
 * The routes of one run, each behind its signed link: the page, its live event stream
 * (Server-Sent Events, resumable through Last-Event-ID) and the transcript download.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ServerResponse } from 'node:http';
import { FINAL_RUN_STATES, type RunEvent } from '../engine/types.js';
import type { Logger } from '../lib/logger.js';
import type { EventHub } from './event-hub.js';
import { linkQueryString, type LinkSigner } from './link-signing.js';
import { SECURITY_HEADERS } from './page-layout.js';
import { refuseLink, sendRefusal } from './refusal.js';
import { plainOutput, renderRunPage, stepOutputText } from './run-page.js';
import { loadRunView, type WebRunsSource } from './run-view.js';
import { isStreamId } from './stream-ids.js';

/** Run ids as the engine makes them, with room to spare; anything else is not a run. */
const RUN_ID = /^[A-Za-z0-9_.-]{1,64}$/;

/** A viewer that cannot keep up (this much unsent) is dropped; its browser reconnects and resumes. */
const MAX_UNSENT_BYTES = 4 * 1024 * 1024;
const HEARTBEAT_MS = 15_000;
/** A finished run whose run.finished event is gone from the stream (trimmed) still ends the stream. */
const FINAL_GRACE_MS = 3_000;

export interface RunRoutesOptions {
  runs: WebRunsSource;
  signer: LinkSigner;
  hub: EventHub;
  log: Logger;
  /** Open event streams, ended before the server closes. */
  streams: Set<ServerResponse>;
}

type RunRequest = FastifyRequest<{ Params: { id: string }; Querystring: Record<string, string | undefined> }>;

/** The signed link of a run's page (path and query). */
export function runLink(signer: LinkSigner, runId: string): string | undefined {
  const q = signer.sign('run', runId);
  return q ? `/runs/${encodeURIComponent(runId)}?${linkQueryString(q)}` : undefined;
}

export function registerRunRoutes(app: FastifyInstance, opts: RunRoutesOptions): void {
  const { runs, signer, hub, log } = opts;

  /** Verifies the link; answers and returns false when it does not hold. */
  const allowed = (req: RunRequest, reply: FastifyReply): boolean => {
    const check = signer.verify('run', req.params.id, req.query);
    if (!check.ok) {
      refuseLink(reply, check);
      return false;
    }
    if (!RUN_ID.test(req.params.id)) {
      sendRefusal(reply, 404, 'No such run', 'There is no run with this id.');
      return false;
    }
    return true;
  };

  app.get('/runs/:id', async (req: RunRequest, reply) => {
    if (!allowed(req, reply)) return reply;
    const view = await loadRunView(runs, req.params.id);
    if (!view) return sendRefusal(reply, 404, 'No such run', 'This run does not exist or has expired.');
    const query = linkQueryString({ exp: req.query.exp ?? '', sig: req.query.sig ?? '' });
    const body = renderRunPage(view, { query, run: (id) => runLink(signer, id) ?? '#' });
    return reply.headers(SECURITY_HEADERS).type('text/html; charset=utf-8').send(body);
  });

  app.get('/runs/:id/transcript', async (req: RunRequest, reply) => {
    if (!allowed(req, reply)) return reply;
    const run = await runs.getRun(req.params.id);
    if (!run) return sendRefusal(reply, 404, 'No such run', 'This run does not exist or has expired.');
    const text = await runs.transcript(run.id);
    return reply
      .headers({ ...SECURITY_HEADERS, 'content-disposition': `attachment; filename="run-${run.id}.md"` })
      .type('text/markdown; charset=utf-8')
      .send(text);
  });

  app.get('/runs/:id/steps/:step/output', async (req: FastifyRequest<{ Params: { id: string; step: string }; Querystring: Record<string, string | undefined> }>, reply) => {
    if (!allowed(req, reply)) return reply;
    const view = await loadRunView(runs, req.params.id);
    const step = view?.run.steps.find((s) => s.id === req.params.step);
    if (!view || !step) return sendRefusal(reply, 404, 'No such step', 'This run or step does not exist or has expired.');
    return reply
      .headers({ ...SECURITY_HEADERS, 'content-disposition': `inline; filename="run-${view.run.id}-${step.id}.txt"` })
      .type('text/plain; charset=utf-8')
      .send(plainOutput(stepOutputText(step, view.events)));
  });

  app.get('/runs/:id/events', async (req: RunRequest, reply) => {
    if (!allowed(req, reply)) return reply;
    const runId = req.params.id;
    const run = await runs.getRun(runId);
    if (!run) return sendRefusal(reply, 404, 'No such run', 'This run does not exist or has expired.');
    // A reconnecting EventSource says where it was (Last-Event-ID); a page says where it starts.
    const header = req.headers['last-event-id'];
    const resume = typeof header === 'string' && isStreamId(header) ? header : undefined;
    const after = resume ?? (req.query.after !== undefined && isStreamId(req.query.after) ? req.query.after : '0');

    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, { ...SECURITY_HEADERS, 'content-type': 'text/event-stream; charset=utf-8', 'x-accel-buffering': 'no', connection: 'keep-alive' });
    res.write('retry: 2000\n\n');
    opts.streams.add(res);
    let done = false;
    let stop: () => void = () => undefined;
    let grace: NodeJS.Timeout | undefined;
    const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), HEARTBEAT_MS);
    const finish = (end?: boolean) => {
      if (done) return;
      done = true;
      clearInterval(heartbeat);
      clearTimeout(grace);
      stop();
      opts.streams.delete(res);
      if (end) res.write('event: end\ndata: {}\n\n');
      res.end();
    };
    req.raw.on('close', () => finish());
    const push = (e: RunEvent) => {
      if (done) return;
      res.write(`id: ${e.id ?? ''}\ndata: ${JSON.stringify(e)}\n\n`);
      if (e.type === 'run.finished') finish();
      else if (res.writableLength > MAX_UNSENT_BYTES) {
        log.debug({ runId }, 'web viewer too slow; dropped (it resumes on reconnect)');
        finish();
      }
    };
    try {
      stop = await hub.watch(runId, after, { push });
    } catch (err) {
      log.warn({ err, runId }, 'could not follow run events for a web viewer');
      finish();
      return reply;
    }
    if (done) stop();
    else if (FINAL_RUN_STATES.includes(run.state)) grace = setTimeout(() => finish(true), FINAL_GRACE_MS);
    return reply;
  });
}
