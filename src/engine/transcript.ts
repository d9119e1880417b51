/**
 * A run as a Markdown timeline, for `chatops transcript` and the file chat uploads when a run is
 * long: who started it and how, inputs (secrets already `***` in the record), each step with its
 * times, status and the head and tail of its output, approvals with who and when, the end.
 * Everything rendered comes from the run record and events, which were masked before being stored.
 */
import { formatDuration } from '../workflow/duration.js';
import type { RunEvent, RunRecord, StepRecord, StepState } from './types.js';

const MARK: Record<StepState, string> = {
  pending: '·', queued: '·', running: '▶', waiting: '⏸', succeeded: '✓', failed: '✗', skipped: '↷', cancelled: '⊘', timed_out: '⏱', lost: '✗',
};

const HEAD = 20;
const TAIL = 20;

function time(ms: number | undefined): string {
  return ms === undefined ? '—' : new Date(ms).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}

function fence(lines: string[]): string {
  const longest = Math.max(2, ...lines.map((l) => (l.match(/`+/g) ?? []).reduce((m, s) => Math.max(m, s.length), 0)));
  const f = '`'.repeat(longest + 1);
  return `${f}text\n${lines.join('\n')}\n${f}`;
}

function outputOf(step: StepRecord, events: RunEvent[]): string[] {
  const lines: string[] = [];
  for (const e of events) if (e.type === 'step.output' && e.step === step.id) lines.push(...e.lines);
  const total = step.output?.lines ?? lines.length;
  if (lines.length === total && total <= HEAD + TAIL) return lines;
  if (lines.length === total) return [...lines.slice(0, HEAD), `… ${total - HEAD - TAIL} lines omitted …`, ...lines.slice(-TAIL)];
  // The stream was trimmed: fall back on the head and tail kept in the step record.
  const head = step.output?.head ?? [];
  const tail = step.output?.tail ?? [];
  const omitted = total - head.length - tail.length;
  return omitted > 0 ? [...head, `… ${omitted} lines omitted …`, ...tail] : [...head, ...tail];
}

export function renderTranscript(run: RunRecord, events: RunEvent[]): string {
  const out: string[] = [];
  const duration = run.endedAt !== undefined ? formatDuration(run.endedAt - (run.startedAt ?? run.createdAt)) : undefined;
  out.push(`# Run ${run.id} · ${run.workflow}`, '');
  if (run.description) out.push(run.description, '');
  out.push(`- **Status:** ${run.state}${duration ? ` after ${duration}` : ''}`);
  const t = run.trigger;
  out.push(`- **Started by:** ${t.requester} via ${t.kind} (${t.source})${t.channel ? ` in ${t.channel}` : ''}${t.text ? `: \`${t.text.replace(/`/g, "'")}\`` : ''}`);
  if (t.parent) out.push(`- **Parent:** run ${t.parent.runId}, step ${t.parent.stepId}`);
  out.push(`- **Created:** ${time(run.createdAt)} · **Started:** ${time(run.startedAt)} · **Ended:** ${time(run.endedAt)}`);
  const inputs = Object.entries(run.inputs);
  out.push(`- **Inputs:** ${inputs.length === 0 ? 'none' : inputs.map(([k, v]) => `\`${k}=${String(v)}\``).join(', ')}`);
  if (run.error) out.push(`- **Error:** ${run.error}`);
  out.push('', '## Steps', '');
  for (const step of run.steps) {
    const took = step.startedAt !== undefined && step.endedAt !== undefined ? `, ${formatDuration(step.endedAt - step.startedAt)}` : '';
    out.push(`### ${MARK[step.state]} ${step.name}${step.name !== step.id ? ` (\`${step.id}\`)` : ''} — ${step.state}${took}`, '');
    const facts = [`${step.phase === 'on_failure' ? 'on_failure ' : ''}${step.kind}`];
    if (step.attempt > 1) facts.push(`attempt ${step.attempt}`);
    if (step.startedAt !== undefined) facts.push(`started ${time(step.startedAt)}`);
    if (step.endedAt !== undefined) facts.push(`ended ${time(step.endedAt)}`);
    if (step.exitCode !== undefined) facts.push(`exit code ${step.exitCode}`);
    if (step.childRunId) facts.push(`child run ${step.childRunId}`);
    out.push(facts.join(' · '));
    if (step.error) out.push('', `Error: ${step.error}`);
    const retries = events.filter((e) => e.type === 'step.retrying' && e.step === step.id);
    for (const r of retries) if (r.type === 'step.retrying') out.push('', `Retried at ${time(r.ts)} as attempt ${r.attempt} after ${formatDuration(r.delayMs)}: ${r.error}`);
    if (step.approval) {
      const a = step.approval;
      out.push('', `Approval: "${a.message}" — needs ${a.minApprovers} from ${a.roles.length > 0 ? a.roles.join(', ') : 'anyone but the requester'}${a.expiresAt ? `, expires ${time(a.expiresAt)}` : ''}${a.outcome ? ` — **${a.outcome}**` : ''}`);
      for (const d of a.decisions) out.push(`- ${time(d.at)} ${d.user}: ${d.decision}${d.counted ? '' : ` (not counted: ${d.reason ?? 'not allowed'})`}`);
    }
    const notes = events.filter((e) => e.type === 'notify' && e.step === step.id);
    for (const n of notes) if (n.type === 'notify') out.push('', `Notified: ${n.text}`);
    const lines = outputOf(step, events);
    if (lines.length > 0) out.push('', fence(lines));
    const outputs = Object.entries(step.outputs);
    if (outputs.length > 0) out.push('', `Outputs: ${outputs.map(([k, v]) => `\`${k}=${v}\``).join(', ')}`);
    out.push('');
  }
  const cancelling = events.find((e) => e.type === 'run.cancelling');
  out.push('## Result', '');
  if (cancelling?.type === 'run.cancelling') out.push(`Cancel requested by ${cancelling.by} at ${time(cancelling.ts)}.`, '');
  out.push(`**${run.state}**${duration ? ` after ${duration}` : ''}${run.endedAt !== undefined ? ` at ${time(run.endedAt)}` : ''}.`);
  const outputs = Object.entries(run.outputs);
  if (outputs.length > 0) out.push('', ...outputs.map(([k, v]) => `- \`${k}\` = ${v}`));
  return `${out.join('\n')}\n`;
}
