/**
 * The terminal's format of the render model: lines of text, coloured with ANSI escapes on a TTY
 * and plain otherwise (so piped output can be read by scripts and tests).
 */
import { formatClock, formatDuration } from '../../chat/format-time.js';
import type { ChatContent, NoticeView, ReplyView } from '../../chat/platform.js';
import { goneText, type ApprovalView, type QueueView, type RunView, type StepOutputView, type StepView } from '../../chat/render-model.js';
import { noWorkerText, RUN_LOOK, STEP_LOOK, type Tone } from '../../chat/state-words.js';
import { formatIncident, formatIncidentChange } from './ansi-incident.js';
import { painter, type FormatOptions } from './ansi-paint.js';

export type { FormatOptions };

function stepDetail(s: StepView, elapsed: number | undefined): string {
  const parts: string[] = [STEP_LOOK[s.state].word];
  if (s.state === 'running' && elapsed !== undefined) parts.push(formatDuration(elapsed));
  else if (s.final && s.durationMs !== undefined && s.state !== 'skipped') parts.push(formatDuration(s.durationMs));
  if (s.attempt > 1) parts.push(`(attempt ${s.attempt})`);
  if (s.childRunId) parts.push(`→ run ${s.childRunId}`);
  if (s.waitingForWorker !== undefined) parts.push(`— ${noWorkerText(s.waitingForWorker)}`);
  if (s.exitCode !== undefined && s.exitCode !== 0) parts.push(`exit ${s.exitCode}`);
  if (s.state === 'waiting' && s.approval) parts.push(`(${s.approval.approvals} of ${s.approval.minApprovers}) — approve ${s.approval.runId}`);
  if (s.approval?.outcome) parts.push(`(${s.approval.outcome}${s.approval.decidedBy ? ` by ${s.approval.decidedBy.user}` : ''})`);
  const text = parts.join(' ');
  return s.error && (s.state === 'failed' || s.state === 'timed_out' || s.state === 'lost') ? `${text} — ${s.error}` : text;
}

const NOT_RUN = { icon: '↷', word: 'not run', tone: 'dim' as Tone };

export function formatRun(v: RunView, o: FormatOptions): string[] {
  const p = painter(o.color);
  const now = o.now ?? v.now;
  const look = RUN_LOOK[v.state];
  const lines: string[] = [];
  lines.push(`${p(look.tone, look.icon)} ${p('bold', `run ${v.runId}`)} · ${v.workflow}${v.description ? ` — ${v.description}` : ''}`);
  const inputs = Object.entries(v.inputs).map(([k, val]) => `${k}=${String(val)}`);
  lines.push(`  by ${v.requester}${v.trigger.source ? ` via ${v.trigger.source}` : ''}${inputs.length > 0 ? ` · ${inputs.join(' ')}` : ''}`);
  if (v.link) lines.push(`  View: ${v.link}`);
  const width = Math.max(8, ...v.steps.map((s) => s.name.length));
  for (const s of v.steps) {
    // Steps a finished run never reached (on_failure handlers of a success) read "not run".
    const sl = v.final && (s.state === 'pending' || s.state === 'queued') ? NOT_RUN : STEP_LOOK[s.state];
    const elapsed = o.clock !== false && s.state === 'running' && s.startedAt !== undefined ? Math.max(0, now - s.startedAt) : undefined;
    const label = `${s.phase === 'on_failure' ? '(on failure) ' : ''}${s.name}`;
    lines.push(`  ${p(sl.tone, sl.icon)} ${label.padEnd(width)}  ${p(sl.tone, sl === NOT_RUN ? sl.word : stepDetail(s, elapsed))}`);
  }
  if (v.queue) lines.push(`  ${p('wait', '○')} ${queueText(v.queue)}`);
  if (v.cancellingBy) lines.push(`  ${p('dim', '⊘')} cancelling (asked by ${v.cancellingBy})`);
  if (v.gone) lines.push(p('bad', `status: ${goneText(v)}`));
  else if (v.final) {
    const outputs = Object.entries(v.outputs).map(([k, val]) => `${k}=${val}`);
    lines.push(`${p(look.tone, `status: ${v.state}`)} in ${formatDuration(v.durationMs)}${v.error ? ` — ${v.error}` : ''}`);
    if (outputs.length > 0) lines.push(`  outputs: ${outputs.join(' ')}`);
  } else {
    const elapsed = v.state === 'queued' && v.startedAt === undefined ? now - v.createdAt : now - (v.startedAt ?? v.createdAt);
    lines.push(`${p(look.tone, `status: ${v.state}`)}${o.clock === false ? '' : ` ${formatDuration(Math.max(0, elapsed))}`}`);
  }
  return lines;
}

function queueText(q: QueueView): string {
  return `queued behind lock ${q.key}: position ${q.position}${q.holder ? `, held by ${q.holder}` : ''}`;
}

export function formatQueue(q: QueueView, o: FormatOptions): string[] {
  return [`${painter(o.color)('wait', '○')} ${q.runId} ${queueText(q)}`];
}

export function formatStepOutput(v: StepOutputView, o: FormatOptions): string[] {
  const p = painter(o.color);
  const look = STEP_LOOK[v.state];
  const title = `${p(look.tone, look.icon)} ${v.stepName} ${p(look.tone, look.word)}${v.final && v.durationMs !== undefined ? ` in ${formatDuration(v.durationMs)}` : ''}${v.exitCode !== undefined && v.exitCode !== 0 ? ` (exit ${v.exitCode})` : ''}`;
  const lines = [title];
  const show = (ls: StepOutputView['lines']) => ls.map((l) => `  │ ${l.stream === 'stderr' ? p('wait', l.text) : l.text}`);
  lines.push(...show(v.head));
  if (v.omitted > 0) lines.push(p('dim', `  │ … ${v.omitted} line${v.omitted === 1 ? '' : 's'} not shown …`));
  lines.push(...show(v.lines));
  if (v.fullLog) lines.push(p('dim', `  full log: ${v.fullLog.filename} (${v.totalLines} lines)`));
  if (v.error && v.final && v.state !== 'succeeded') lines.push(p('bad', `  error: ${v.error}`));
  return lines;
}

export function formatApproval(v: ApprovalView, o: FormatOptions): string[] {
  const p = painter(o.color);
  const now = o.now ?? Date.now();
  const who = v.roles.length > 0 ? `role ${v.roles.join(' or ')}` : 'anyone';
  const lines = [`${p('wait', '⏸')} approval for ${p('bold', v.runId)} step ${v.stepName}: ${v.message}`];
  lines.push(`  needs ${v.minApprovers} approver${v.minApprovers === 1 ? '' : 's'} (${who}, not ${v.requester}) · ${v.approvals} of ${v.minApprovers} so far`);
  for (const d of v.decisions) {
    // A decision that did not count must not look like one that did.
    const mark = !d.counted ? p('dim', '·') : d.decision === 'approve' ? p('ok', '✓') : p('bad', '✗');
    lines.push(`  ${mark} ${d.decision === 'approve' ? 'approved' : 'denied'} by ${d.user} at ${formatClock(d.at)}${d.counted ? '' : p('dim', ` (not counted: ${d.reason ?? 'refused'})`)}`);
  }
  if (v.pending) {
    const left = Math.max(0, v.expiresAt - now);
    const when = o.clock === false ? `at ${formatClock(v.expiresAt)}` : `in ${formatDuration(left)} (${formatClock(v.expiresAt)})`;
    lines.push(`  expires ${when} · type ${p('bold', `approve ${v.runId}`)} or ${p('bold', `deny ${v.runId}`)}`);
  } else if (v.outcome) {
    const tone = v.outcome === 'approved' ? 'ok' : 'bad';
    lines.push(`  ${p(tone, v.outcome)}${v.decidedBy ? ` by ${v.decidedBy.user} at ${formatClock(v.decidedBy.at)}` : v.outcome === 'expired' ? ` at ${formatClock(v.expiresAt)}` : ''}`);
  }
  return lines;
}

export function formatNotice(v: NoticeView, o: FormatOptions): string[] {
  return [`${painter(o.color)('busy', '✉')} ${v.runId}${v.stepId !== undefined ? ` ${v.stepId}` : ''}: ${v.text}`];
}

export function formatReply(v: ReplyView, o: FormatOptions): string[] {
  const p = painter(o.color);
  const tone: Tone = v.tone === 'success' ? 'ok' : v.tone === 'info' ? 'busy' : 'bad';
  const mark = v.tone === 'error' ? '✗ ' : v.tone === 'denied' ? '⛔ ' : '';
  const lines = [p(tone, `${mark}${v.code ? `${v.code}: ` : ''}${v.title}`)];
  const code = (text: string) => text.split('\n').map((l) => `    ${p('code', l)}`);
  for (const b of v.blocks) {
    if (b.type === 'text') lines.push(`  ${b.text}`);
    else if (b.type === 'code') lines.push(...code(b.text));
    else if (b.type === 'list') lines.push(...b.items.map((i) => `  • ${i}`));
    else lines.push(...b.fields.map((f) => `  ${f.label}: ${f.value}`));
  }
  // A terminal takes any length: an attachment is printed whole, after the note naming it.
  if (v.attachment) lines.push(...code(v.attachment.text));
  return lines;
}

export function formatContent(c: ChatContent, o: FormatOptions): string[] {
  switch (c.kind) {
    case 'run':
      return formatRun(c.view, o);
    case 'step-output':
      return formatStepOutput(c.view, o);
    case 'approval':
      return formatApproval(c.view, o);
    case 'queued':
      return formatQueue(c.view, o);
    case 'notice':
      return formatNotice(c.view, o);
    case 'reply':
      return formatReply(c.view, o);
    case 'incident':
      return formatIncident(c.view, o);
    case 'incident-change':
      return formatIncidentChange(c.view, o);
  }
}
