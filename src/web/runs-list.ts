/**
 * `/runs`: recent runs, filterable by workflow, state and channel, each linking to its signed page.
 * Behind CHATOPS_WEB_TOKEN (access.ts), with the login form and logout that set and clear the cookie.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { RUN_STATES } from '../engine/types.js';
import { formatDuration } from '../workflow/duration.js';
import { SESSION_COOKIE, SESSION_TTL_MS, type WebAccess } from './access.js';
import { html } from './html.js';
import type { LinkSigner } from './link-signing.js';
import { page, SECURITY_HEADERS } from './page-layout.js';
import { sendRefusal } from './refusal.js';
import { time } from './run-page.js';
import { runLink } from './run-routes.js';
import type { WebRunsSource } from './run-view.js';

/** Runs read from the index per list (filters apply to these), and shown at most. */
const SCANNED = 500;
const SHOWN = 100;

export interface RunsListOptions {
  runs: WebRunsSource;
  signer: LinkSigner;
  access: WebAccess;
  /** Whether the session cookie is sent only over HTTPS (CHATOPS_PUBLIC_URL is https). */
  secureCookie: boolean;
}

type ListRequest = FastifyRequest<{ Querystring: Record<string, string | undefined> }>;

/** Whether the request carries the token (bearer) or a live session cookie. */
export function signedIn(access: WebAccess, req: FastifyRequest): boolean {
  return access.bearer(req.headers.authorization) || access.checkSession(req.cookies[SESSION_COOKIE]);
}

function loginPage(reply: FastifyReply, status: number, next: string, problem?: string): FastifyReply {
  const body = html`<main class="refused">
<h1>Sign in</h1>
<p>The run lists need the token this server was given in CHATOPS_WEB_TOKEN.</p>
${problem ? html`<p class="error">${problem}</p>` : ''}
<form method="post" action="/login">
<input type="hidden" name="next" value="${next}">
<label>Token <input type="password" name="token" autocomplete="current-password" required autofocus></label>
<button type="submit">Sign in</button>
</form>
</main>`;
  return reply.code(status).headers(SECURITY_HEADERS).type('text/html; charset=utf-8').send(page({ title: 'Sign in', body }));
}

/** Only local list paths are followed after login (no open redirect). */
function safeNext(next: string | undefined): string {
  return next !== undefined && /^\/(runs|incidents)(\?[^\s]*)?$/.test(next) ? next : '/runs';
}

export function registerRunsList(app: FastifyInstance, opts: RunsListOptions): void {
  const { runs, signer, access } = opts;

  app.get('/runs', async (req: ListRequest, reply) => {
    if (!access.enabled) return sendRefusal(reply, 401, 'Run lists are off', 'This server has no CHATOPS_WEB_TOKEN set, so it lists nothing. Run pages open from their chat links.');
    if (!signedIn(access, req)) return loginPage(reply, 401, req.url);
    const f = { workflow: req.query.workflow?.trim() || undefined, state: req.query.state?.trim() || undefined, channel: req.query.channel?.trim() || undefined };
    const scanned = await runs.listRuns({ channel: f.channel, limit: SCANNED });
    const shown = scanned.filter((r) => (f.workflow === undefined || r.workflow === f.workflow) && (f.state === undefined || r.state === f.state)).slice(0, SHOWN);
    const workflows = [...runs.workflows().keys()].sort();
    const body = html`<main>
<h1>Runs</h1>
<form class="filters" method="get" action="/runs">
<label>Workflow <select name="workflow"><option value="">any</option>${workflows.map((w) => html`<option${w === f.workflow ? html` selected` : ''}>${w}</option>`)}</select></label>
<label>State <select name="state"><option value="">any</option>${RUN_STATES.map((s) => html`<option${s === f.state ? html` selected` : ''}>${s}</option>`)}</select></label>
<label>Channel <input name="channel" value="${f.channel ?? ''}" placeholder="any"></label>
<button type="submit">Filter</button>
</form>
<table class="runs">
<thead><tr><th>Run</th><th>State</th><th>Workflow</th><th>Started by</th><th>Where</th><th>Created</th><th>Took</th></tr></thead>
<tbody>
${shown.map((r) => html`<tr data-run="${r.id}"><td><a href="${runLink(signer, r.id) ?? '#'}">${r.id}</a></td><td><span class="state st-${r.state}">${r.state}</span></td><td>${r.workflow}</td><td>${r.trigger.requester}</td><td>${r.trigger.channel ?? r.trigger.source}</td><td>${time(r.createdAt)}</td><td>${r.endedAt !== undefined ? formatDuration(r.endedAt - (r.startedAt ?? r.createdAt)) : ''}</td></tr>`)}
</tbody>
</table>
${shown.length === 0 ? html`<p class="note">No runs match.</p>` : ''}
<form method="post" action="/logout"><button type="submit">Sign out</button></form>
</main>`;
    return reply.headers(SECURITY_HEADERS).type('text/html; charset=utf-8').send(page({ title: 'Runs', body }));
  });

  app.get('/login', async (req: ListRequest, reply) => loginPage(reply, 200, safeNext(req.query.next)));

  app.post('/login', async (req: FastifyRequest<{ Body: Record<string, string> | undefined }>, reply) => {
    const body = req.body ?? {};
    const next = safeNext(body.next);
    if (!access.enabled) return sendRefusal(reply, 401, 'Run lists are off', 'This server has no CHATOPS_WEB_TOKEN set.');
    if (!access.checkToken(body.token)) return loginPage(reply, 401, next, 'That token is not right.');
    reply.setCookie(SESSION_COOKIE, access.session(), { httpOnly: true, sameSite: 'strict', secure: opts.secureCookie, path: '/', maxAge: SESSION_TTL_MS / 1000 });
    return reply.headers(SECURITY_HEADERS).redirect(next, 303);
  });

  app.post('/logout', async (_req, reply) => {
    reply.clearCookie(SESSION_COOKIE, { path: '/' });
    return reply.redirect('/login', 303);
  });
}
