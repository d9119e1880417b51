/**
 * The run page, rendered on the server: header (workflow, who, where, inputs, state, times), the
 * step graph coloured by step state, every step with its full output, outputs, approvals and child
 * runs, and the transcript as a download. The client script (client/run-page.js) keeps it live from
 * `data-after` on. Every value goes through `html` (escaped); output lines are made inert text.
 */
import type { ApprovalState, RunEvent, RunRecord, StepRecord } from '../engine/types.js';
import { formatDuration } from '../workflow/duration.js';
import { renderMermaid, stepNodeId } from '../workflow/mermaid.js';
import { html, plainText, type SafeHtml } from './html.js';
import { page } from './page-layout.js';
import type { RunView } from './run-view.js';

/** Mermaid classes for step states; the client switches them as states change. */
const STATE_STYLES: Record<string, string> = {
  queued: 'fill:#eef2f7,stroke:#8a99ad',
  running: 'fill:#dbeafe,stroke:#1d4ed8,stroke-width:2px',
  waiting: 'fill:#fef3c7,stroke:#b45309,stroke-width:2px',
  succeeded: 'fill:#dcfce7,stroke:#15803d',
  failed: 'fill:#fee2e2,stroke:#b91c1c',
  lost: 'fill:#fee2e2,stroke:#b91c1c',
  timed_out: 'fill:#fee2e2,stroke:#b91c1c',
  cancelled: 'fill:#f3f4f6,stroke:#6b7280',
  skipped: 'fill:#f9fafb,stroke:#d1d5db,color:#6b7280',
};

export interface RunLinks {
  /** Signed URL (path and query) of another run's page. */
  run(runId: string): string;
  /** Query string (`exp=…&sig=…`) of this page, reused for its event stream and transcript. */
  query: string;
}

export function time(ms: number | undefined): SafeHtml {
  if (ms === undefined) return html`—`;
  const iso = new Date(ms).toISOString();
  return html`<time datetime="${iso}">${iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z')}</time>`;
}

function graphSource(view: RunView): string | undefined {
  if (!view.workflow) return undefined;
  const lines = [renderMermaid(view.workflow)];
  for (const [state, style] of Object.entries(STATE_STYLES)) lines.push(`  classDef st_${state} ${style}`);
  for (const step of view.run.steps) if (step.state !== 'pending') lines.push(`  class ${stepNodeId(step.phase, step.id)} st_${step.state}`);
  return lines.join('\n');
}

/**
 * Lines a step shows on the page, the last ones; a longer output is one click away as plain text
 * (`/runs/ID/steps/STEP/output`), so a page of a 100,000-line step does not freeze the browser.
 */
export const PAGE_TAIL_LINES = 2000;

/** One step's output as it is kept: stream lines, or the step record's head and tail when trimmed. */
export interface StepOutputText {
  chunks: { text: string[]; stderr: boolean }[];
  /** Lines in the stream (shown, or cut to the tail on the page). */
  count: number;
  /** Set when the stream no longer holds all lines: what the step record kept. */
  trimmed?: { total: number; head: string[]; tail: string[] };
}

export function stepOutputText(step: StepRecord, events: readonly RunEvent[]): StepOutputText {
  const chunks: StepOutputText['chunks'] = [];
  let count = 0;
  for (const e of events) {
    if (e.type !== 'step.output' || e.step !== step.id) continue;
    count += e.lines.length;
    chunks.push({ text: e.lines.map(plainText), stderr: e.stream === 'stderr' });
  }
  const total = step.output?.lines ?? count;
  if (total > count) return { chunks, count, trimmed: { total, head: (step.output?.head ?? []).map(plainText), tail: (step.output?.tail ?? []).map(plainText) } };
  return { chunks, count };
}

/** The whole kept output as plain text (the full-output route). */
export function plainOutput(out: StepOutputText): string {
  if (out.trimmed) {
    const { total, head, tail } = out.trimmed;
    return [...head, `… ${total - head.length - tail.length} lines not kept …`, ...tail].map((l) => `${l}\n`).join('');
  }
  return out.chunks.map((c) => c.text.map((l) => `${l}\n`).join('')).join('');
}

/** The last `max` lines of the chunks, chunks kept whole but the first one cut. */
function tailChunks(chunks: StepOutputText['chunks'], max: number): StepOutputText['chunks'] {
  const out: StepOutputText['chunks'] = [];
  let left = max;
  for (let i = chunks.length - 1; i >= 0 && left > 0; i--) {
    const c = chunks[i];
    if (!c) continue;
    const text = c.text.length > left ? c.text.slice(c.text.length - left) : c.text;
    out.unshift({ text, stderr: c.stderr });
    left -= text.length;
  }
  return out;
}

function outputOf(step: StepRecord, events: RunEvent[], fullOutputUrl: string): SafeHtml {
  const out = stepOutputText(step, events);
  const notes: SafeHtml[] = [];
  const render = (chunks: StepOutputText['chunks']) => chunks.map((c) => (c.stderr ? html`<span class="stderr">${c.text.map((l) => `${l}\n`).join('')}</span>` : html`${c.text.map((l) => `${l}\n`).join('')}`));
  let parts: SafeHtml[];
  if (out.trimmed) {
    // The stream was trimmed (or expired): what the step record kept, and how much is missing.
    const { total, head, tail } = out.trimmed;
    notes.push(html`<p class="note">The run's event stream no longer holds all ${total} lines of this step; shown: the first ${head.length} and last ${tail.length} kept in the step record.</p>`);
    parts = [html`${head.map((l) => `${l}\n`).join('')}`, html`<span class="omitted">… ${total - head.length - tail.length} lines not kept …\n</span>`, html`${tail.map((l) => `${l}\n`).join('')}`];
  } else if (out.count > PAGE_TAIL_LINES) {
    notes.push(html`<p class="note more-output">Showing the last ${PAGE_TAIL_LINES.toLocaleString('en-US')} of ${out.count.toLocaleString('en-US')} lines. <a href="${fullOutputUrl}">The full output as text</a></p>`);
    parts = render(tailChunks(out.chunks, PAGE_TAIL_LINES));
  } else parts = render(out.chunks);
  const cut = step.output?.cut;
  if (cut) notes.push(html`<p class="note">${cut.lines} more lines (${cut.bytes} bytes) were not kept: past the ${cut.scope === 'step' ? "step's" : "run's"} output budget of ${cut.budget} bytes.</p>`);
  const shown = out.trimmed ? 0 : Math.min(out.count, PAGE_TAIL_LINES);
  return html`${notes}<pre class="output" data-lines="${out.count}" data-shown="${shown}" data-max-lines="${PAGE_TAIL_LINES}" data-full="${fullOutputUrl}">${parts}</pre>`;
}

function approvalOf(a: ApprovalState | undefined): SafeHtml {
  if (!a) return html`<div class="approval" hidden></div>`;
  return html`<div class="approval">
<p><strong>Approval:</strong> <span class="message">${a.message}</span> — needs ${a.minApprovers} from ${a.roles.length > 0 ? a.roles.join(', ') : 'anyone but the requester'}${a.expiresAt ? html`, expires ${time(a.expiresAt)}` : ''}<span class="outcome">${a.outcome ? html` — <strong>${a.outcome}</strong>` : ''}</span></p>
<ul class="decisions">${a.decisions.map((d) => html`<li>${time(d.at)} ${d.user}: ${d.decision}${d.counted ? '' : ` (not counted: ${d.reason ?? 'not allowed'})`}</li>`)}</ul>
</div>`;
}

function outputsOf(outputs: Record<string, string>): SafeHtml {
  const entries = Object.entries(outputs);
  return html`<dl class="outputs"${entries.length === 0 ? html` hidden` : ''}>${entries.map(([k, v]) => html`<dt>${k}</dt><dd>${v}</dd>`)}</dl>`;
}

function stepArticle(step: StepRecord, view: RunView, links: RunLinks): SafeHtml {
  const took = step.startedAt !== undefined && step.endedAt !== undefined ? formatDuration(step.endedAt - step.startedAt) : '';
  const notes = view.events.filter((e): e is Extract<RunEvent, { type: 'notify' }> => e.type === 'notify' && e.step === step.id);
  const retries = view.events.filter((e): e is Extract<RunEvent, { type: 'step.retrying' }> => e.type === 'step.retrying' && e.step === step.id);
  return html`<article class="step" id="step-${step.id}" data-step="${step.id}" data-node="${stepNodeId(step.phase, step.id)}" data-kind="${step.kind}" data-state="${step.state}">
<h2><span class="state st-${step.state}">${step.state}</span> ${step.name}${step.name !== step.id ? html` <code>${step.id}</code>` : ''}</h2>
<p class="facts"><span>${step.phase === 'on_failure' ? 'on_failure ' : ''}${step.kind}</span> · attempt <span class="attempt">${step.attempt}</span> · started <span class="started">${time(step.startedAt)}</span> · ended <span class="ended">${time(step.endedAt)}</span><span class="took">${took ? ` · took ${took}` : ''}</span><span class="exit">${step.exitCode !== undefined ? ` · exit code ${step.exitCode}` : ''}</span></p>
${step.childRunId ? html`<p class="child">Sub-workflow: <a href="${links.run(step.childRunId)}">run ${step.childRunId}</a></p>` : ''}
<p class="error"${step.error ? '' : html` hidden`}>${step.error ?? ''}</p>
<ul class="retries">${retries.map((r) => html`<li>Retried at ${time(r.ts)} as attempt ${r.attempt} after ${formatDuration(r.delayMs)}: ${r.error}</li>`)}</ul>
${approvalOf(step.approval)}
<ul class="notes">${notes.map((n) => html`<li>Notified: ${n.text}</li>`)}</ul>
${outputOf(step, view.events, `/runs/${encodeURIComponent(view.run.id)}/steps/${encodeURIComponent(step.id)}/output?${links.query}`)}
${outputsOf(step.outputs)}
</article>`;
}

function triggerOf(run: RunRecord, links: RunLinks): SafeHtml {
  const t = run.trigger;
  return html`<dt>Started by</dt><dd>${t.requester} via ${t.kind} (${t.source})</dd>
${t.channel ? html`<dt>Where</dt><dd>${t.channel}</dd>` : ''}
${t.text ? html`<dt>Command</dt><dd><code>${t.text}</code></dd>` : ''}
${t.parent ? html`<dt>Parent</dt><dd><a href="${links.run(t.parent.runId)}">run ${t.parent.runId}</a>, step <code>${t.parent.stepId}</code></dd>` : ''}`;
}

export function renderRunPage(view: RunView, links: RunLinks): string {
  const { run } = view;
  const inputs = Object.entries(run.inputs);
  const duration = run.endedAt !== undefined ? formatDuration(run.endedAt - (run.startedAt ?? run.createdAt)) : '';
  const graph = graphSource(view);
  const base = `/runs/${encodeURIComponent(run.id)}`;
  const body = html`<main id="run" data-state="${run.state}">
<header>
<h1><span id="run-state" class="state st-${run.state}">${run.state}</span> ${run.workflow} <small>run <code>${run.id}</code></small></h1>
${run.description ? html`<p class="description">${run.description}</p>` : ''}
<dl class="facts">
${triggerOf(run, links)}
<dt>Created</dt><dd>${time(run.createdAt)}</dd>
<dt>Started</dt><dd id="run-started">${time(run.startedAt)}</dd>
<dt>Ended</dt><dd id="run-ended">${time(run.endedAt)}${duration ? ` after ${duration}` : ''}</dd>
<dt>Inputs</dt><dd>${inputs.length === 0 ? 'none' : html`<table class="inputs">${inputs.map(([k, v]) => html`<tr><th>${k}</th><td><code>${String(v)}</code></td></tr>`)}</table>`}</dd>
</dl>
<p id="run-error" class="error"${run.error ? '' : html` hidden`}>${run.error ?? ''}</p>
<p class="actions"><a id="transcript" href="${base}/transcript?${links.query}" download="run-${run.id}.md">Download transcript</a> <span id="live" class="live" hidden>live</span></p>
</header>
${graph ? html`<section class="graph"><pre class="mermaid" id="graph">${graph}</pre></section>` : ''}
<section id="steps">
${run.steps.map((s) => stepArticle(s, view, links))}
</section>
<section id="result">
<h2>Outputs</h2>
${outputsOf(run.outputs)}
</section>
</main>`;
  return page({
    title: `${run.state} · ${run.workflow} · run ${run.id}`,
    body,
    scripts: graph ? ['mermaid.min.js', 'run-page.js'] : ['run-page.js'],
    data: { run: run.id, after: view.lastEventId, events: `${base}/events?${links.query}`, final: String(run.endedAt !== undefined) },
  });
}
