/**
 * `/runs`: recent runs, filterable by workflow, state and channel, each linking to its signed page.
 * Behind CHATOPS_WEB_TOKEN (sign-in.ts).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { RUN_STATES } from '../engine/types.js';
import { formatDuration } from '../workflow/duration.js';
import type { WebAccess } from './access.js';
import { html } from './html.js';
import type { LinkSigner } from './link-signing.js';
import { page, SECURITY_HEADERS } from './page-layout.js';
import { time } from './run-page.js';
import { runLink } from './run-routes.js';
import { listAllowed } from './sign-in.js';
import type { WebRunsSource } from './run-view.js';

/** Runs read from the index per list (filters apply to these), and shown at most. */
const SCANNED = 500;
const SHOWN = 100;

export interface RunsListOptions {
  runs: WebRunsSource;
  signer: LinkSigner;
  access: WebAccess;
}

export type ListRequest = FastifyRequest<{ Querystring: Record<string, string | undefined> }>;

export function registerRunsList(app: FastifyInstance, opts: RunsListOptions): void {
  const { runs, signer, access } = opts;

  app.get('/runs', async (req: ListRequest, reply) => {
    if (!listAllowed(access, req, reply)) return reply;
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
}
