/**
 * The routes of one incident, behind its signed link: the page, and its postmortem as a download
 * when the server was given a renderer for it. `/incidents`: recent incidents, filterable by state,
 * source, channel and workflow (one of the runs it started), behind CHATOPS_WEB_TOKEN (sign-in.ts).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { INCIDENT_ID_PATTERN } from '../alerts/incident-store.js';
import { alertCounts, type Incident } from '../alerts/incident.js';
import { ALERT_SOURCES } from '../alerts/types.js';
import type { WebAccess } from './access.js';
import { html } from './html.js';
import { renderIncidentPage } from './incident-page.js';
import { loadIncidentView, type WebIncidentsSource } from './incident-view.js';
import { linkQueryString, type LinkSigner } from './link-signing.js';
import { page, SECURITY_HEADERS } from './page-layout.js';
import { refuseLink, sendRefusal } from './refusal.js';
import { time } from './run-page.js';
import { runLink } from './run-routes.js';
import type { WebRunsSource } from './run-view.js';
import { listAllowed } from './sign-in.js';

/** Incidents read per list (filters apply to these), and shown at most. */
const SCANNED = 500;
const SHOWN = 100;
/** Timelines read at once when filtering by workflow. */
const TIMELINE_BATCH = 25;

export interface IncidentRoutesOptions {
  incidents: WebIncidentsSource;
  runs: WebRunsSource;
  signer: LinkSigner;
  access: WebAccess;
  /** The incident as a postmortem document (Markdown), when this server can write one. */
  postmortem?: (incidentId: string) => Promise<string | undefined>;
}

type IncidentRequest = FastifyRequest<{ Params: { id: string }; Querystring: Record<string, string | undefined> }>;

/** Those of `candidates` (in order, at most SHOWN) whose timeline names a run of `workflow`; timelines read a batch at a time. */
async function startedWorkflow(incidents: WebIncidentsSource, candidates: Incident[], workflow: string): Promise<Incident[]> {
  const out: Incident[] = [];
  for (let i = 0; i < candidates.length && out.length < SHOWN; i += TIMELINE_BATCH) {
    const batch = candidates.slice(i, i + TIMELINE_BATCH);
    const timelines = await Promise.all(batch.map((inc) => incidents.timeline(inc.id)));
    batch.forEach((inc, k) => {
      if (timelines[k]?.some((e) => e.type === 'run' && e.workflow === workflow)) out.push(inc);
    });
  }
  return out.slice(0, SHOWN);
}

/** The signed link of an incident's page (path and query). */
export function incidentLink(signer: LinkSigner, incidentId: string): string | undefined {
  const q = signer.sign('incident', incidentId);
  return q ? `/incidents/${encodeURIComponent(incidentId)}?${linkQueryString(q)}` : undefined;
}

export function registerIncidentRoutes(app: FastifyInstance, opts: IncidentRoutesOptions): void {
  const { incidents, runs, signer, access } = opts;
  const notFound = 'This incident does not exist or has expired.';

  app.get('/incidents/:id', async (req: IncidentRequest, reply) => {
    const check = signer.verify('incident', req.params.id, req.query);
    if (!check.ok) return refuseLink(reply, check);
    if (!INCIDENT_ID_PATTERN.test(req.params.id)) return sendRefusal(reply, 404, 'No such incident', notFound);
    const view = await loadIncidentView(incidents, runs, req.params.id);
    if (!view) return sendRefusal(reply, 404, 'No such incident', notFound);
    const query = linkQueryString({ exp: req.query.exp ?? '', sig: req.query.sig ?? '' });
    const body = renderIncidentPage(view, {
      run: (id) => runLink(signer, id) ?? '#',
      ...(opts.postmortem ? { postmortem: `/incidents/${encodeURIComponent(view.incident.id)}/postmortem?${query}` } : {}),
    });
    return reply.headers(SECURITY_HEADERS).type('text/html; charset=utf-8').send(body);
  });

  app.get('/incidents/:id/postmortem', async (req: IncidentRequest, reply) => {
    const check = signer.verify('incident', req.params.id, req.query);
    if (!check.ok) return refuseLink(reply, check);
    if (!opts.postmortem || !INCIDENT_ID_PATTERN.test(req.params.id)) return sendRefusal(reply, 404, 'No such incident', notFound);
    const text = await opts.postmortem(req.params.id);
    if (text === undefined) return sendRefusal(reply, 404, 'No such incident', notFound);
    return reply
      .headers({ ...SECURITY_HEADERS, 'content-disposition': `attachment; filename="postmortem-${req.params.id}.md"` })
      .type('text/markdown; charset=utf-8')
      .send(text);
  });

  app.get('/incidents', async (req: FastifyRequest<{ Querystring: Record<string, string | undefined> }>, reply) => {
    if (!listAllowed(access, req, reply)) return reply;
    const f = { state: req.query.state?.trim() || undefined, source: req.query.source?.trim() || undefined, channel: req.query.channel?.trim() || undefined, workflow: req.query.workflow?.trim() || undefined };
    const scanned = await incidents.list(SCANNED);
    const matching = scanned.filter((i) => (f.state === undefined || i.status === f.state) && (f.source === undefined || i.source === f.source) && (f.channel === undefined || i.channel === f.channel || i.channel?.endsWith(`:${f.channel}`)));
    const shown = f.workflow === undefined ? matching.slice(0, SHOWN) : await startedWorkflow(incidents, matching, f.workflow);
    const body = html`<main>
<h1>Incidents</h1>
<form class="filters" method="get" action="/incidents">
<label>State <select name="state"><option value="">any</option>${['firing', 'resolved'].map((s) => html`<option${s === f.state ? html` selected` : ''}>${s}</option>`)}</select></label>
<label>Source <select name="source"><option value="">any</option>${[...ALERT_SOURCES, 'storm'].map((s) => html`<option${s === f.source ? html` selected` : ''}>${s}</option>`)}</select></label>
<label>Channel <input name="channel" value="${f.channel ?? ''}" placeholder="any"></label>
<label>Workflow <input name="workflow" value="${f.workflow ?? ''}" placeholder="any"></label>
<button type="submit">Filter</button>
</form>
<table class="runs">
<thead><tr><th>Incident</th><th>State</th><th>Title</th><th>Alerts</th><th>Source</th><th>Channel</th><th>Opened</th><th>Resolved</th></tr></thead>
<tbody>
${shown.map((i) => {
  const c = alertCounts(i);
  return html`<tr data-incident="${i.id}"><td><a href="${incidentLink(signer, i.id) ?? '#'}">${i.id}</a></td><td><span class="state st-${i.status === 'firing' ? 'failed' : 'succeeded'}">${i.status}</span></td><td>${i.title}</td><td>${c.firing} firing, ${c.resolved} resolved</td><td>${i.source}</td><td>${i.channel ?? ''}</td><td>${time(i.openedAt)}</td><td>${i.resolvedAt !== undefined ? time(i.resolvedAt) : ''}</td></tr>`;
})}
</tbody>
</table>
${shown.length === 0 ? html`<p class="note">No incidents match.</p>` : ''}
<p><a href="/runs">Runs</a></p>
<form method="post" action="/logout"><button type="submit">Sign out</button></form>
</main>`;
    return reply.headers(SECURITY_HEADERS).type('text/html; charset=utf-8').send(page({ title: 'Incidents', body }));
  });
}
