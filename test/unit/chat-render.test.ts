import { formatApproval, formatContent, formatRun, formatStepOutput } from '../../src/adapters/shell/ansi-format.ts';
import { buildApprovalViews, buildRunView, buildStepOutputView, type OutputLine } from '../../src/chat/render-model.ts';
import { textReply } from '../../src/chat/replies.ts';
import { FINAL_RUN_STATES, RUN_STATES, STEP_STATES, type ApprovalState } from '../../src/engine/types.ts';
import { runRecord, step } from '../helpers/run-records.ts';

const T0 = 1_000_000;
const plain = { color: false };
// eslint-disable-next-line no-control-regex -- matching ANSI escapes is the point
const ANSI = /\x1b\[[0-9;]*m/;

describe('render model + ANSI format: every step state', () => {
  const expected: Record<string, RegExp> = {
    pending: /· s-pending\s+pending$/,
    queued: /○ s-queued\s+queued$/,
    running: /● s-running\s+running 5\.0s$/,
    waiting: /⏸ s-waiting\s+waiting for approval/,
    succeeded: /✓ s-succeeded\s+succeeded 2\.0s$/,
    failed: /✗ s-failed\s+failed 2\.0s exit 3 — boom$/,
    skipped: /↷ s-skipped\s+skipped$/,
    cancelled: /⊘ s-cancelled\s+cancelled 2\.0s$/,
    timed_out: /⌛ s-timed_out\s+timed out 2\.0s — boom$/,
    lost: /⚠ s-lost\s+lost \(its worker died\) 2\.0s — boom$/,
  };
  it.each(STEP_STATES.map((s) => [s]))('%s', (state) => {
    const final = !['pending', 'queued', 'running', 'waiting'].includes(state);
    const started = state === 'pending' || state === 'queued' || state === 'skipped' ? undefined : T0;
    const s = step(`s-${state}`, {
      state,
      startedAt: started,
      endedAt: final && started !== undefined ? T0 + 2000 : undefined,
      exitCode: state === 'failed' ? 3 : undefined,
      error: ['failed', 'timed_out', 'lost'].includes(state) ? 'boom' : undefined,
      kind: state === 'waiting' ? 'approval' : 'run',
      approval:
        state === 'waiting' ? { message: 'go?', minApprovers: 1, roles: ['sre'], expiresAt: T0 + 60_000, decisions: [] } : undefined,
    });
    const view = buildRunView(runRecord({ steps: [s] }), T0 + 5000);
    expect(view.steps[0]?.final).toBe(final);
    const text = formatRun(view, plain).join('\n');
    expect(text).not.toMatch(ANSI);
    expect(text.split('\n')[2]).toMatch(expected[state] ?? /never/);
    // Colour only when asked for.
    expect(formatRun(view, { color: true }).join('\n')).toMatch(ANSI);
  });
});

describe('render model + ANSI format: every run state', () => {
  it.each(RUN_STATES.map((s) => [s]))('%s', (state) => {
    const final = FINAL_RUN_STATES.includes(state);
    const run = runRecord({
      state,
      endedAt: final ? T0 + 65_000 : undefined,
      error: state === 'failed' ? 'step restart failed' : undefined,
      outputs: state === 'succeeded' ? { pid: '42' } : {},
      steps: [step('a', { state: final ? 'succeeded' : 'running', startedAt: T0, endedAt: final ? T0 + 1000 : undefined })],
      queue: state === 'queued' ? { key: 'restart-api', position: 2, holder: 'r-other1' } : undefined,
    });
    const view = buildRunView(run, T0 + 30_000, { cancellingBy: state === 'running' ? 'shell:bob' : undefined });
    expect(view.final).toBe(final);
    const lines = formatRun(view, plain);
    expect(lines[0]).toContain('run r-test01 · restart-service — Restart a service on a host.');
    expect(lines[1]).toBe('  by shell:alice via shell · service=api host=web-1 api_key=***');
    const last = lines.join('\n');
    if (final) expect(last).toMatch(new RegExp(`status: ${state} in 1m05s`));
    else expect(last).toMatch(new RegExp(`status: ${state} 30s`));
    if (state === 'failed') expect(last).toContain('— step restart failed');
    if (state === 'succeeded') expect(last).toContain('outputs: pid=42');
    if (state === 'queued') expect(last).toContain('queued behind lock restart-api: position 2, held by r-other1');
    if (state === 'running') expect(last).toContain('cancelling (asked by shell:bob)');
  });
});

describe('step output', () => {
  const lines = (n: number): OutputLine[] => Array.from({ length: n }, (_, i) => ({ text: `line ${i + 1}`, stream: 'stdout' as const }));
  const limits = { maxLines: 10, maxChars: 1000 };

  it('shows everything when it fits', () => {
    const run = runRecord({ steps: [step('a', { state: 'succeeded', startedAt: T0, endedAt: T0 + 1500 })] });
    const v = buildStepOutputView(run, 'a', lines(3), limits, T0 + 2000);
    expect(v.truncated).toBe(false);
    expect(formatStepOutput(v, plain)).toEqual(['✓ a succeeded in 1.5s', '  │ line 1', '  │ line 2', '  │ line 3']);
  });

  it('shows the last lines while running', () => {
    const run = runRecord({ steps: [step('a', { state: 'running', startedAt: T0 })] });
    const v = buildStepOutputView(run, 'a', lines(50), limits, T0 + 2000);
    expect(v.lines.map((l) => l.text)).toEqual(lines(50).slice(40).map((l) => l.text));
    expect(v.omitted).toBe(40);
    expect(v.fullLog).toBeUndefined();
    expect(formatStepOutput(v, plain)[1]).toBe('  │ … 40 lines not shown …');
  });

  it('shows head and tail and attaches the full log when a finished step outgrew the message', () => {
    const run = runRecord({ steps: [step('a', { state: 'failed', startedAt: T0, endedAt: T0 + 1000, exitCode: 2, error: 'exit status 2' })] });
    const v = buildStepOutputView(run, 'a', lines(50), limits, T0 + 2000);
    expect(v.head.map((l) => l.text)).toEqual(['line 1', 'line 2', 'line 3']);
    expect(v.lines.at(-1)?.text).toBe('line 50');
    expect(v.head.length + v.lines.length).toBeLessThanOrEqual(10);
    expect(v.fullLog?.text.split('\n')).toHaveLength(50);
    const text = formatStepOutput(v, plain);
    expect(text[0]).toBe('✗ a failed in 1.0s (exit 2)');
    expect(text).toContain('  full log: r-test01-a.log (50 lines)');
    expect(text.at(-1)).toBe('  error: exit status 2');
  });

  it('keeps within the character limit, cutting a single huge line', () => {
    const run = runRecord({ steps: [step('a', { state: 'running', startedAt: T0 })] });
    const v = buildStepOutputView(run, 'a', [{ text: 'x'.repeat(5000), stream: 'stdout' }], limits, T0);
    expect(v.lines[0]?.text.length).toBeLessThanOrEqual(1000);
    expect(v.lines[0]?.text.endsWith('…')).toBe(true);
  });
});

describe('approval and queue', () => {
  const base: ApprovalState = { message: 'Restart api?', minApprovers: 1, roles: ['sre'], expiresAt: T0 + 30 * 60_000, decisions: [] };
  const withApproval = (approval: ApprovalState, state: 'waiting' | 'succeeded' | 'failed') =>
    runRecord({ state: state === 'waiting' ? 'waiting' : 'running', steps: [step('approve', { kind: 'approval', state, approval })] });

  it('pending: approvers required, expiry, the command to approve', () => {
    const [v] = buildApprovalViews(withApproval(base, 'waiting'));
    if (!v) throw new Error('no approval view');
    expect(v.pending).toBe(true);
    const text = formatApproval(v, { color: false, now: T0 }).join('\n');
    expect(text).toContain('approval for r-test01 step approve: Restart api?');
    expect(text).toContain('needs 1 approver (role sre, not shell:alice) · 0 of 1 so far');
    expect(text).toContain('expires in 30m00s (00:46:40 UTC) · type approve r-test01 or deny r-test01');
  });

  it('approved: who and when, refused attempts shown as not counted', () => {
    const decided: ApprovalState = {
      ...base,
      outcome: 'approved',
      decisions: [
        { user: 'shell:alice', decision: 'approve', at: T0 + 1000, counted: false, reason: 'the requester cannot approve their own run' },
        { user: 'shell:bob', decision: 'approve', at: T0 + 2000, counted: true },
      ],
    };
    const [v] = buildApprovalViews(withApproval(decided, 'succeeded'));
    if (!v) throw new Error('no approval view');
    expect(v.pending).toBe(false);
    expect(v.decidedBy?.user).toBe('shell:bob');
    const text = formatApproval(v, plain).join('\n');
    expect(text).toContain('approved by shell:alice at 00:16:41 UTC (not counted: the requester cannot approve their own run)');
    expect(text).toContain('· approved by shell:alice at 00:16:41 UTC (not counted');
    expect(text).toContain('approved by shell:bob at 00:16:42 UTC');
    expect(text.split('\n').at(-1)).toBe('  approved by shell:bob at 00:16:42 UTC');
  });

  it('denied and expired', () => {
    const denied = buildApprovalViews(withApproval({ ...base, outcome: 'denied', decisions: [{ user: 'shell:bob', decision: 'deny', at: T0, counted: true }] }, 'failed'))[0];
    const expired = buildApprovalViews(withApproval({ ...base, outcome: 'expired' }, 'failed'))[0];
    if (!denied || !expired) throw new Error('no approval view');
    expect(formatApproval(denied, plain).at(-1)).toBe('  denied by shell:bob at 00:16:40 UTC');
    expect(formatApproval(expired, plain).at(-1)).toBe('  expired at 00:46:40 UTC');
  });

  it('queued behind a lock: position and holder', () => {
    const text = formatContent({ kind: 'queued', view: { runId: 'r-2', key: 'restart-api', position: 1, holder: 'r-1' } }, plain);
    expect(text).toEqual(['○ r-2 queued behind lock restart-api: position 1, held by r-1']);
  });
});

describe('replies', () => {
  it('errors carry their code; blocks are laid out', () => {
    const text = formatContent(
      {
        kind: 'reply',
        view: {
          tone: 'error',
          title: 'restart: missing {host}',
          code: 'E_USAGE',
          ephemeral: true,
          blocks: [{ type: 'code', text: 'usage: restart {service} on {host}' }, { type: 'list', items: ['a'] }, { type: 'fields', fields: [{ label: 'k', value: 'v' }] }, { type: 'text', text: 't' }],
        },
      },
      plain,
    );
    expect(text).toEqual(['✗ E_USAGE: restart: missing {host}', '    usage: restart {service} on {host}', '  • a', '  k: v', '  t']);
  });

  describe('a long text (transcript) as a reply', () => {
    const transcript = Array.from({ length: 50 }, (_, i) => `line ${i}`).join('\n') + '\n';
    const file = { filename: 'r-abc123-transcript.md', title: 'transcript of r-abc123', text: transcript };

    it('stays inline in a code block when it fits the limits, or when the platform has none', () => {
      for (const limits of [undefined, { maxLines: 50, maxChars: transcript.length }]) {
        const c = textReply('transcript of r-abc123', file, limits);
        expect(c).toEqual({ kind: 'reply', view: { tone: 'info', title: 'transcript of r-abc123', blocks: [{ type: 'code', text: transcript }], ephemeral: true } });
      }
    });

    it('becomes a short note with the whole text attached when it has too many lines or characters', () => {
      for (const limits of [{ maxLines: 49, maxChars: 100_000 }, { maxLines: 1000, maxChars: transcript.length - 1 }]) {
        const c = textReply('transcript of r-abc123', file, limits);
        expect(c).toEqual({
          kind: 'reply',
          view: { tone: 'info', title: 'transcript of r-abc123: 50 lines, attached as r-abc123-transcript.md', blocks: [], ephemeral: true, attachment: file },
        });
      }
    });

    it('the terminal prints an attachment whole, after the note', () => {
      const text = formatContent(textReply('transcript of r-abc123', file, { maxLines: 1, maxChars: 10 }), plain);
      expect(text[0]).toBe('transcript of r-abc123: 50 lines, attached as r-abc123-transcript.md');
      expect(text.slice(1).map((l) => l.trim())).toEqual([...transcript.split('\n').slice(0, 50), '']);
    });
  });
});
