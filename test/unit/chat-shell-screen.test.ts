import { PassThrough } from 'node:stream';
import { stripVTControlCharacters } from 'node:util';
import { createScreen } from '../../src/adapters/shell/screen.ts';
import { ShellPlatform } from '../../src/adapters/shell/shell-platform.ts';
import { OutputBuffer } from '../../src/chat/output-buffer.ts';
import type { ChatContent } from '../../src/chat/platform.ts';
import { buildApprovalViews, buildRunView, buildStepOutputView } from '../../src/chat/render-model.ts';
import type { RunRecord } from '../../src/engine/types.ts';
import { runRecord, step } from '../helpers/run-records.ts';

function capture() {
  const out = new PassThrough();
  let text = '';
  out.on('data', (c: Buffer) => {
    text += c.toString();
  });
  return { out, text: () => text };
}

const T0 = 1_000_000;
const header = (run: RunRecord): ChatContent => ({ kind: 'run', view: buildRunView(run, T0 + 1000) });
const output = (run: RunRecord, id: string, n: number): ChatContent => ({
  kind: 'step-output',
  view: buildStepOutputView(run, id, Array.from({ length: n }, (_, i) => ({ text: `out ${i + 1}`, stream: 'stdout' as const })), { maxLines: 12, maxChars: 4000 }, T0 + 1000),
});

describe('shell platform, not a TTY: a readable log', () => {
  it('prints only what changed: new checklist lines, new output lines', async () => {
    const { out, text } = capture();
    const platform = new ShellPlatform({ screen: createScreen(out, false), color: false, logDir: '/tmp', instance: 't' });
    const running = runRecord({ steps: [step('build', { state: 'running', startedAt: T0 }), step('test')] });
    const root = await platform.postRoot('shell', header(running));
    const reply = await platform.postReply(root, output(running, 'build', 2));
    await platform.update(reply, output(running, 'build', 5));
    const done = runRecord({ state: 'succeeded', endedAt: T0 + 3000, steps: [step('build', { state: 'succeeded', startedAt: T0, endedAt: T0 + 2000 }), step('test', { state: 'skipped' })] });
    await platform.update(reply, output(done, 'build', 5));
    await platform.update(root, header(done));
    const lines = text().trimEnd().split('\n');
    expect(text()).not.toMatch(/\x1b\[/); // eslint-disable-line no-control-regex
    // The checklist header once, each out line once, then only the changed lines.
    expect(lines.filter((l) => l.includes('run r-test01'))).toHaveLength(2);
    for (let i = 1; i <= 5; i++) expect(lines.filter((l) => l === `  │ out ${i}`)).toHaveLength(1);
    expect(lines).toContain('  ✓ build     succeeded 2.0s');
    expect(lines).toContain('  ↷ test      skipped');
    expect(lines.at(-1)).toBe('status: succeeded in 3.0s');
    expect(lines.filter((l) => l.startsWith('  by shell:alice'))).toHaveLength(1);
  });
});

describe('shell platform, not a TTY: the end of a run', () => {
  it('ends with the whole final checklist, a step that failed early included', async () => {
    const { out, text } = capture();
    const platform = new ShellPlatform({ screen: createScreen(out, false), color: false, logDir: '/tmp', instance: 't' });
    const probeFailed = { state: 'failed' as const, startedAt: T0, endedAt: T0 + 100, error: 'connection refused' };
    const running = runRecord({ steps: [step('probe', probeFailed), step('build', { state: 'running', startedAt: T0 })] });
    const root = await platform.postRoot('shell', header(running));
    const done = runRecord({ state: 'succeeded', endedAt: T0 + 3000, steps: [step('probe', probeFailed), step('build', { state: 'succeeded', startedAt: T0, endedAt: T0 + 2000 })] });
    await platform.update(root, header(done));
    const finalBlock = text().slice(text().lastIndexOf('run r-test01')).split('\n');
    expect(finalBlock.some((l) => l.includes('✗ probe') && l.includes('connection refused'))).toBe(true);
    expect(finalBlock.some((l) => l.includes('✓ build'))).toBe(true);
  });
});

describe('shell platform on a TTY: the living message', () => {
  it('redraws the followed run in place, prints finished output and decided approvals for good, commits on unfollow', async () => {
    const { out, text } = capture();
    const screen = createScreen(Object.assign(out, { columns: 200 }), true);
    const platform = new ShellPlatform({ screen, color: true, logDir: '/tmp', instance: 't', rows: () => 40 });
    const waiting = runRecord({
      state: 'waiting',
      steps: [
        step('build', { state: 'succeeded', startedAt: T0, endedAt: T0 + 500 }),
        step('ok', { kind: 'approval', state: 'waiting', approval: { message: 'ship it?', minApprovers: 1, roles: [], expiresAt: T0 + 60_000, decisions: [] } }),
      ],
    });
    platform.follow(waiting.id);
    const root = await platform.postRoot('shell', header(waiting));
    await platform.postReply(root, output(waiting, 'build', 3));
    const [approval] = buildApprovalViews(waiting);
    if (!approval) throw new Error('no approval view');
    const apprRef = await platform.postReply(root, { kind: 'approval', view: approval });
    const plain = stripVTControlCharacters(text());
    // Redrawn in place: cursor up and clear to the end of the screen.
    expect(text()).toContain('\x1b[0J');
    expect(plain).toContain('ship it?');
    const outputPrints = plain.split('\n').filter((l) => l === '  │ out 3').length;
    expect(outputPrints).toBe(1); // finished output printed for good, once

    const decided = structuredClone(approval);
    decided.pending = false;
    decided.outcome = 'approved';
    decided.decidedBy = { user: 'shell:bob', decision: 'approve', at: T0 + 2000, counted: true };
    await platform.update(apprRef, { kind: 'approval', view: decided });
    platform.follow(undefined);
    const after = stripVTControlCharacters(text());
    expect(after).toContain('approved by shell:bob');
    // Later updates of an unfollowed run print only what changed.
    const before = text().length;
    await platform.update(root, header(runRecord({ ...waiting, state: 'succeeded', endedAt: T0 + 5000 })));
    const tail = stripVTControlCharacters(text().slice(before));
    expect(tail).toContain('status: succeeded');
    expect(tail).not.toContain('by shell:alice');
  });
});

describe('output buffer', () => {
  it('keeps the head and a sliding tail past its bound, marking what it dropped', () => {
    const b = new OutputBuffer(10);
    b.push(Array.from({ length: 2000 }, (_, i) => `l${i + 1}`), 'stdout');
    const lines = b.lines().map((l) => l.text);
    expect(b.size).toBe(2000);
    expect(lines.slice(0, 5)).toEqual(['l1', 'l2', 'l3', 'l4', 'l5']);
    expect(lines[5]).toBe('… 1990 lines not kept …');
    expect(lines.slice(6)).toEqual(['l1996', 'l1997', 'l1998', 'l1999', 'l2000']);
  });
});
