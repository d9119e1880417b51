import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { applyNotification, openIncident } from '../../src/alerts/diff.js';
import { brief, type TimelineEntry } from '../../src/alerts/incident.js';
import { renderPostmortem, type PostmortemRun } from '../../src/alerts/postmortem.js';
import type { NormalizedAlert, Notification } from '../../src/alerts/types.js';
import { renderTranscript } from '../../src/engine/transcript.js';
import type { RunEvent, RunRecord } from '../../src/engine/types.js';

// The injected clock: every time in the document derives from T0.
const T0 = Date.parse('2026-12-01T22:40:00Z');
const at = (min: number, s = 0) => T0 + min * 60_000 + s * 1000;

function alert(fp: string, status: 'firing' | 'resolved', startsAt: string): NormalizedAlert {
  return { fingerprint: fp, status, labels: { alertname: 'HighErrorRate', service: 'checkout', severity: 'critical', instance: fp }, annotations: { summary: 'Checkout 5xx above 5%' }, startsAt };
}
function note(...alerts: NormalizedAlert[]): Notification {
  return { source: 'alertmanager', groupKey: '{}:{alertname="HighErrorRate"}', status: alerts.some((a) => a.status === 'firing') ? 'firing' : 'resolved', alerts, commonLabels: { alertname: 'HighErrorRate', service: 'checkout', severity: 'critical' }, commonAnnotations: { summary: 'Checkout 5xx above 5%' }, links: [], truncated: 0 };
}

function run(id: string, workflow: string, requester: string, kind: 'alert' | 'chat', start: number, end: number, steps: RunRecord['steps'], state: RunRecord['state'] = 'succeeded'): RunRecord {
  return { id, workflow, state, inputs: { service: 'checkout' }, trigger: { kind, source: kind === 'alert' ? 'alertmanager' : 'slack', requester, channel: 'C0INC', text: kind === 'chat' ? 'restart checkout' : 'HighErrorRate' }, createdAt: start, startedAt: start, endedAt: end, outputs: {}, steps };
}

describe('the postmortem of an incident', () => {
  it('with two runs, an approval, a silence and a re-fire reads as expected', () => {
    let inc = openIncident('i-4x7k2p', note(alert('a1', 'firing', '2026-12-01T22:39:00Z')), at(0), 'slack:C0INC');
    inc = applyNotification(inc, note(alert('a1', 'firing', '2026-12-01T22:39:00Z'), alert('a2', 'firing', '2026-12-01T22:39:30Z')), at(0)).incident;
    const [a1, a2] = Object.values(inc.alerts).map(brief) as [ReturnType<typeof brief>, ReturnType<typeof brief>];
    inc = applyNotification(inc, note(alert('a1', 'resolved', '2026-12-01T22:39:00Z'), alert('a2', 'firing', '2026-12-01T22:39:30Z')), at(9)).incident;
    inc = applyNotification(inc, note(alert('a1', 'firing', '2026-12-01T22:50:00Z'), alert('a2', 'firing', '2026-12-01T22:39:30Z')), at(11)).incident;
    inc = applyNotification(inc, note(alert('a1', 'resolved', '2026-12-01T22:50:00Z'), alert('a2', 'resolved', '2026-12-01T22:39:30Z')), at(31)).incident;
    const timeline: TimelineEntry[] = [
      { at: at(0), type: 'opened', delivery: '1-0' },
      { at: at(0), type: 'alerts', delivery: '1-0', added: [a1, a2], resolved: [], refired: [] },
      { at: at(0), type: 'run', runId: 'r-diag01', workflow: 'diagnose-checkout' },
      { at: at(1, 20), type: 'run-ended', runId: 'r-diag01', workflow: 'diagnose-checkout', state: 'succeeded' },
      { at: at(3), type: 'ack', by: 'slack:U0ALICE' },
      { at: at(4), type: 'command', by: 'slack:U0ALICE', text: 'restart checkout token=***' },
      { at: at(4), type: 'run', runId: 'r-rest02', workflow: 'restart-service', by: 'slack:U0ALICE' },
      { at: at(5), type: 'approval', runId: 'r-rest02', step: 'confirm', by: 'slack:U0BOB', decision: 'approve', counted: true },
      { at: at(6), type: 'silence', by: 'slack:U0BOB', silenceId: '6d3c1f0e-aaaa-bbbb-cccc-000000000001', endsAt: at(66), matchers: ['alertname="HighErrorRate"', 'service="checkout"'] },
      { at: at(7), type: 'run-ended', runId: 'r-rest02', workflow: 'restart-service', state: 'succeeded' },
      { at: at(9), type: 'alerts', delivery: '2-0', added: [], resolved: [a1], refired: [] },
      { at: at(10), type: 'delivery', delivery: '3-0', firing: 1, resolved: 1 },
      { at: at(11), type: 'alerts', delivery: '4-0', added: [], resolved: [], refired: [a1] },
      { at: at(31), type: 'alerts', delivery: '5-0', added: [], resolved: [a1, a2], refired: [] },
      { at: at(31), type: 'resolved', delivery: '5-0', durationMs: at(31) - at(0) },
    ];
    const diag = run('r-diag01', 'diagnose-checkout', 'alert:alertmanager', 'alert', at(0), at(1, 20), [
      { id: 'errors', name: 'Recent 5xx', kind: 'run', phase: 'main', state: 'succeeded', attempt: 1, startedAt: at(0, 5), endedAt: at(0, 9), exitCode: 0, outputs: {} },
    ]);
    const restart = run('r-rest02', 'restart-service', 'slack:U0ALICE', 'chat', at(4), at(7), [
      { id: 'confirm', name: 'confirm', kind: 'approval', phase: 'main', state: 'succeeded', attempt: 1, startedAt: at(4, 1), endedAt: at(5), outputs: {}, approval: { message: 'Restart checkout?', minApprovers: 1, roles: ['sre'], expiresAt: at(34), outcome: 'approved', decisions: [{ user: 'slack:U0BOB', decision: 'approve', at: at(5), counted: true }] } },
      { id: 'restart', name: 'Restart', kind: 'run', phase: 'main', state: 'succeeded', attempt: 1, startedAt: at(5, 1), endedAt: at(6, 30), exitCode: 0, outputs: {} },
    ]);
    const events = (r: RunRecord, lines: Record<string, string[]>): RunEvent[] => Object.entries(lines).map(([step, l]) => ({ type: 'step.output', step, lines: l, stream: 'stdout', ts: r.createdAt, runId: r.id }));
    const runs: PostmortemRun[] = [
      { runId: diag.id, record: diag, transcript: renderTranscript(diag, events(diag, { errors: ['# 5xx by route', '/pay 812', '```'] })) },
      { runId: restart.id, record: restart, transcript: renderTranscript(restart, events(restart, { restart: ['using token ***', 'checkout restarted'] })) },
    ];
    const md = renderPostmortem({ incident: inc, timeline, runs, now: at(40) });
    const expected = readFileSync(new URL('../fixtures/alerts/postmortem-expected.md', import.meta.url), 'utf8');
    expect(md).toBe(expected);
  });

  it('an open incident is measured up to now, an expired run is named, typed lines are inert', () => {
    const inc = applyNotification(openIncident('i-aaaaaa', note(alert('a1', 'firing', '2026-12-01T22:39:00Z')), at(0), undefined), note(alert('a1', 'firing', '2026-12-01T22:39:00Z')), at(0)).incident;
    const md = renderPostmortem({
      incident: inc,
      timeline: [{ at: at(2), type: 'command', by: 'shell:eve', text: 'status `x` <b>|' }, { at: at(2), type: 'run', runId: 'r-gone00', workflow: 'noop', by: 'shell:eve' }],
      runs: [{ runId: 'r-gone00', record: null }],
      now: at(12),
    });
    expect(md).toContain('| Duration | still firing (12m00s so far) |');
    expect(md).toContain('| Detection → acknowledgement | not acknowledged |');
    expect(md).toContain('shell:eve typed `` status `x` <b>| ``');
    expect(md).toContain('### r-gone00');
    expect(md).toContain('| Participants | shell:eve |');
  });
});
