/**
 * The web pages of `chatops serve`, mounted by the front's composition root as one fastify plugin:
 * signed run pages with their live event streams and transcripts, signed incident pages, the
 * token-guarded run and incident lists, and the pages' own assets. Reads the same Redis state as everything else; writes nothing.
 */
import fastifyCookie from '@fastify/cookie';
import type { FastifyInstance } from 'fastify';
import type { ServerResponse } from 'node:http';
import type { Logger } from '../lib/logger.js';
import type { HttpServer } from '../server/http-server.js';
import { WebAccess } from './access.js';
import { registerAssets } from './assets.js';
import { EventHub } from './event-hub.js';
import { incidentLink, registerIncidentRoutes } from './incident-routes.js';
import type { WebIncidentsSource } from './incident-view.js';
import { LinkSigner } from './link-signing.js';
import { registerRunRoutes, runLink } from './run-routes.js';
import type { WebRunsSource } from './run-view.js';
import { registerRunsList } from './runs-list.js';
import { registerSignIn } from './sign-in.js';

export interface WebOptions {
  /** CHATOPS_WEB_KEY: link keys, the first signs; none means no page is served. */
  keys: string[];
  /** CHATOPS_WEB_TOKEN: opens the list pages. */
  token?: string;
  /** CHATOPS_PUBLIC_URL: where people reach this server; chat links only when set. */
  publicUrl?: string;
}

export interface WebFront {
  signer: LinkSigner;
  hub: EventHub;
  /** The full signed URL of a run's page for chat, or undefined (no public URL or no key). */
  runUrl(runId: string): string | undefined;
  /** The same for an incident's page. */
  incidentUrl(incidentId: string): string | undefined;
  close(): Promise<void>;
}

/** `https://x.example/base/` + `/runs/…` without a doubled slash. */
export function publicLink(publicUrl: string | undefined, path: string | undefined): string | undefined {
  if (publicUrl === undefined || path === undefined) return undefined;
  return `${publicUrl.replace(/\/+$/, '')}${path}`;
}

/** Full signed page URLs for chat ("View" links); undefined without a public URL or a key. */
export function runUrlMaker(signer: LinkSigner, publicUrl: string | undefined): (runId: string) => string | undefined {
  return (runId) => publicLink(publicUrl, runLink(signer, runId));
}

export function incidentUrlMaker(signer: LinkSigner, publicUrl: string | undefined): (incidentId: string) => string | undefined {
  return (incidentId) => publicLink(publicUrl, incidentLink(signer, incidentId));
}

export interface MountWebOptions {
  server: HttpServer;
  runs: WebRunsSource;
  /** Incidents for their pages and list (alerts/incident-store.ts). */
  incidents: WebIncidentsSource;
  /** An incident's postmortem (Markdown) for its download, when the server can write one. */
  postmortem?: (incidentId: string) => Promise<string | undefined>;
  log: Logger;
  web: WebOptions;
  now?: () => number;
}

export async function mountWeb(opts: MountWebOptions): Promise<WebFront> {
  const log = opts.log.child({ component: 'web' });
  const signer = new LinkSigner(opts.web.keys, opts.now);
  const access = new WebAccess(opts.web.token, opts.now);
  const hub = new EventHub({ runs: opts.runs, log });
  const streams = new Set<ServerResponse>();
  const secureCookie = opts.web.publicUrl?.startsWith('https:') ?? false;

  await opts.server.app.register(async (app: FastifyInstance) => {
    await app.register(fastifyCookie);
    app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 4096 }, (_req, body, done) => {
      done(null, Object.fromEntries(new URLSearchParams(String(body))));
    });
    // Event streams never end on their own while a run goes on: end them so closing does not wait.
    app.addHook('preClose', async () => {
      for (const res of streams) res.end();
      streams.clear();
    });
    await registerAssets(app);
    registerRunRoutes(app, { runs: opts.runs, signer, hub, log, streams });
    registerSignIn(app, { access, secureCookie });
    registerRunsList(app, { runs: opts.runs, signer, access });
    registerIncidentRoutes(app, { incidents: opts.incidents, runs: opts.runs, signer, access, postmortem: opts.postmortem });
  });

  if (!signer.enabled) log.warn('web pages are off: set CHATOPS_WEB_KEY (32+ characters, the same on every front) to serve signed run pages');
  if (signer.enabled && opts.web.publicUrl === undefined) log.info('chat messages carry no page links: set CHATOPS_PUBLIC_URL to where people reach this server');
  return {
    signer,
    hub,
    runUrl: runUrlMaker(signer, opts.web.publicUrl),
    incidentUrl: incidentUrlMaker(signer, opts.web.publicUrl),
    close: () => hub.close(),
  };
}
