import type { ChatContent } from '../../src/chat/platform.js';
import type { ApprovalView, RunView, StepOutputView, StepView } from '../../src/chat/render-model.js';
import { RUN_STATES, STEP_STATES } from '../../src/engine/types.js';
import { formatContent, SLACK_OUTPUT_LIMITS, SLACK_REPLY_LIMITS } from '../../src/adapters/slack/block-kit/format.js';
import { splitText } from '../../src/adapters/slack/block-kit/blocks.js';
import { codeBlock, esc, who } from '../../src/adapters/slack/block-kit/mrkdwn.js';
import { messageProblem } from '../fakes/slack-limits.js';

const T0 = Date.UTC(2026, 10, 22, 22, 0, 0);

function step(id: string, state: StepView['state'], extra: Partial<StepView> = {}): StepView {
  return { id, name: id, kind: 'run', phase: 'main', state, final: false, attempt: 1, ...extra };
}

function run(extra: Partial<RunView> = {}): RunView {
  return {
    runId: 'r-abc123',
    workflow: 'restart-service',
    description: 'Restart a service <safely> & verify',
    state: 'running',
    final: false,
    trigger: { kind: 'chat', source: 'slack', requester: 'slack:U0ALICE', channel: 'C1', text: '/ops restart api on web-1' },
    requester: 'slack:U0ALICE',
    inputs: { service: 'api', api_key: '***' },
    createdAt: T0,
    startedAt: T0,
    durationMs: 12_300,
    outputs: {},
    steps: [step('precheck', 'succeeded', { durationMs: 800 }), step('restart', 'running', { durationMs: 4000 })],
    now: T0 + 12_300,
    ...extra,
  };
}

function allText(msg: { text: string; blocks: unknown[] }): string {
  return JSON.stringify(msg.blocks);
}

function expectValid(content: ChatContent): ReturnType<typeof formatContent> {
  const msg = formatContent(content);
  expect(messageProblem(msg.text, msg.blocks)).toBeUndefined();
  return msg;
}

describe('Slack Block Kit formatter', () => {
  it.each(RUN_STATES)('formats a %s run within Slack limits with its status', (state) => {
    const msg = expectValid({ kind: 'run', view: run({ state, final: ['succeeded', 'failed', 'cancelled', 'timed_out'].includes(state), error: state === 'failed' ? 'step restart failed' : undefined }) });
    expect(msg.text).toBe(`restart-service r-abc123: ${state.replace('_', ' ')}`);
    const json = allText(msg);
    expect(json).toContain('<@U0ALICE>');
    expect(json).toContain('Restart a service &lt;safely&gt; &amp; verify');
    expect(json).toContain('`r-abc123`');
  });

  it.each(STEP_STATES)('shows a %s step in the checklist', (state) => {
    const msg = expectValid({ kind: 'run', view: run({ steps: [step('deploy', state, { durationMs: 61_000, error: 'boom\nsecond line', exitCode: 3 })] }) });
    const json = allText(msg);
    expect(json).toContain('*deploy*');
    if (state === 'failed') expect(json).toContain('exit 3');
    if (state === 'failed') expect(json).not.toContain('second line');
  });

  it('shows the total duration and outputs of a finished run', () => {
    const msg = expectValid({ kind: 'run', view: run({ state: 'succeeded', final: true, durationMs: 65_000, outputs: { pid: '4242' } }) });
    expect(allText(msg)).toContain('*Succeeded* in 1m05s');
    expect(allText(msg)).toContain('4242');
  });

  it('stays within limits for a huge run: 1000 steps, 40 inputs, long errors', () => {
    const steps = Array.from({ length: 1000 }, (_, i) => step(`step-${i}-${'x'.repeat(40)}`, i % 2 ? 'failed' : 'succeeded', { error: 'e'.repeat(5000), exitCode: 1 }));
    const inputs = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`input${i}`, 'v'.repeat(3000)]));
    const msg = expectValid({ kind: 'run', view: run({ steps, inputs, description: 'd'.repeat(10_000), error: 'z'.repeat(50_000), state: 'failed', final: true }) });
    expect(msg.blocks.length).toBeLessThanOrEqual(50);
    expect(allText(msg)).toContain('more blocks not shown');
    // The final status survives the cut.
    expect(JSON.stringify(msg.blocks.at(-1))).toContain('*Failed* after 12s');
  });

  it('shows queue position, cancellation and on_failure steps', () => {
    const msg = expectValid({
      kind: 'run',
      view: run({ state: 'queued', queue: { runId: 'r-abc123', key: 'restart-api', position: 2, holder: 'r-zzz999' }, cancellingBy: 'slack:U0BOB', steps: [step('page', 'pending', { phase: 'on_failure' })] }),
    });
    const json = allText(msg);
    expect(json).toContain('position 2');
    expect(json).toContain('`r-zzz999`');
    expect(json).toContain('cancelling, asked by <@U0BOB>');
    expect(json).toContain('_on failure:_');
  });

  const out = (extra: Partial<StepOutputView>): StepOutputView => ({
    runId: 'r-abc123',
    stepId: 'build',
    stepName: 'Build',
    state: 'running',
    final: false,
    lines: [],
    head: [],
    omitted: 0,
    totalLines: 0,
    truncated: false,
    ...extra,
  });

  it('formats step output as an escaped code block that cannot be broken out of', () => {
    const lines = [{ text: 'a < b && c > d', stream: 'stdout' as const }, { text: '```not a fence end', stream: 'stderr' as const }];
    const msg = expectValid({ kind: 'step-output', view: out({ lines, totalLines: 2 }) });
    const code = (msg.blocks[1] as { text: { text: string } }).text.text;
    expect(code.startsWith('```') && code.endsWith('```')).toBe(true);
    expect(code.slice(3, -3)).not.toContain('```');
    expect(code).toContain('a &lt; b &amp;&amp; c &gt; d');
  });

  it('keeps the last lines when escaping outgrows the section (output full of &)', () => {
    const lines = Array.from({ length: SLACK_OUTPUT_LIMITS.maxLines }, (_, i) => ({ text: `${i} ${'&'.repeat(60)}`, stream: 'stdout' as const }));
    const msg = expectValid({ kind: 'step-output', view: out({ lines, totalLines: 40 }) });
    expect(allText(msg)).toContain(`39 &amp;`);
  });

  it('shows head and tail of a long final log and mentions the attached file', () => {
    const line = (t: string) => ({ text: t, stream: 'stdout' as const });
    const msg = expectValid({
      kind: 'step-output',
      view: out({ state: 'failed', final: true, head: [line('first')], lines: [line('last')], omitted: 9998, totalLines: 10_000, truncated: true, exitCode: 2, durationMs: 5000, error: 'exit code 2', fullLog: { filename: 'r-abc123-build.log', text: '…' } }),
    });
    const json = allText(msg);
    expect(json).toContain('first');
    expect(json).toContain('9998 lines omitted');
    expect(json).toContain('last');
    expect(json).toContain('r-abc123-build.log');
    expect(json).toContain('exit 2');
  });

  const approval = (extra: Partial<ApprovalView>): ApprovalView => ({
    runId: 'r-abc123',
    stepId: 'approve',
    stepName: 'Approve restart',
    workflow: 'restart-service',
    message: 'Restart api in prod?',
    requester: 'slack:U0ALICE',
    minApprovers: 1,
    roles: ['sre'],
    expiresAt: T0 + 1_800_000,
    approvals: 0,
    decisions: [],
    pending: true,
    ...extra,
  });

  it('offers Approve/Deny buttons while an approval is pending', () => {
    const msg = expectValid({ kind: 'approval', view: approval({ decisions: [{ user: 'slack:U0ALICE', decision: 'approve', at: T0, counted: false, reason: 'the requester cannot approve' }] }) });
    const actions = msg.blocks.find((b) => b.type === 'actions') as { elements: { action_id: string; style?: string }[] } | undefined;
    expect(actions?.elements.map((e) => [e.action_id, e.style])).toEqual([
      ['approve|r-abc123|approve', 'primary'],
      ['deny|r-abc123|approve', 'danger'],
    ]);
    expect(allText(msg)).toContain('not counted: the requester cannot approve');
    expect(allText(msg)).toContain(':grey_question: approved');
    expect(allText(msg)).not.toContain(':heavy_check_mark:');
    expect(allText(msg)).toContain('role `sre`');
  });

  it('shows who decided and when, without buttons, once decided', () => {
    const decided = { user: 'slack:U0BOB', decision: 'approve' as const, at: T0 + 60_000, counted: true };
    const msg = expectValid({ kind: 'approval', view: approval({ pending: false, outcome: 'approved', approvals: 1, decisions: [decided], decidedBy: decided }) });
    expect(msg.blocks.some((b) => b.type === 'actions')).toBe(false);
    expect(allText(msg)).toContain(`*Approved* by <@U0BOB> <!date^${Math.floor((T0 + 60_000) / 1000)}^`);
  });

  it('formats replies: usage errors with code blocks, fields, lists and the error code', () => {
    const msg = expectValid({
      kind: 'reply',
      view: {
        tone: 'error',
        title: 'Missing argument {host}',
        code: 'E_MISSING_ARG',
        ephemeral: true,
        blocks: [
          { type: 'text', text: 'usage:' },
          { type: 'code', text: 'restart {service} on {host}\n' + 'x'.repeat(7000) },
          { type: 'fields', fields: Array.from({ length: 12 }, (_, i) => ({ label: `k${i}`, value: 'v' })) },
          { type: 'list', items: ['restart', 'deploy'] },
        ],
      },
    });
    expect(msg.text).toContain('Missing argument {host}');
    expect(allText(msg)).toContain('code E_MISSING_ARG');
  });

  it('a reply text within SLACK_REPLY_LIMITS fits one message whole, even when escaping grows it fivefold', () => {
    const { maxChars, maxLines } = SLACK_REPLY_LIMITS;
    const texts = ['&'.repeat(maxChars), `${'&'.repeat(1500)}\n`.repeat(10).slice(0, maxChars), Array.from({ length: maxLines }, (_, i) => `line ${i} <&>`).join('\n')];
    for (const text of texts) {
      const msg = expectValid({ kind: 'reply', view: { tone: 'info', title: 'transcript of r-abc123', blocks: [{ type: 'code', text }], ephemeral: true } });
      expect(allText(msg)).not.toContain('not shown');
      expect(msg.text.length).toBeLessThan(40_000);
    }
  });

  it('formats notices and queue notes', () => {
    expectValid({ kind: 'notice', view: { runId: 'r-abc123', stepId: 'tell', text: 'Restarted <pid 42>' } });
    expectValid({ kind: 'queued', view: { runId: 'r-abc123', key: 'k', position: 1 } });
  });
});

describe('mrkdwn helpers', () => {
  it('mentions Slack users and groups and quotes other identities', () => {
    expect(who('slack:U123')).toBe('<@U123>');
    expect(who('slack-group:S9')).toBe('<!subteam^S9>');
    expect(who('shell:alice')).toBe('`shell:alice`');
    expect(esc('<!channel>')).toBe('&lt;!channel&gt;');
    expect(codeBlock('')).toBe('``` ```');
  });

  it('splits long text into chunks that keep code fences closed', () => {
    const text = '```' + Array.from({ length: 200 }, (_, i) => `line ${i}`).join('\n') + '```';
    const chunks = splitText(text, 500);
    expect(chunks.length).toBeGreaterThan(1);
    for (const c of chunks) {
      expect(c.length).toBeLessThanOrEqual(500);
      expect((c.match(/```/g) ?? []).length % 2).toBe(0);
    }
  });
});
