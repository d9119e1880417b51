import { Pacer } from '../../src/chat/pacer.ts';
import { RunPresenter, type PresenterState } from '../../src/chat/presenter.ts';
import type { RunEvent } from '../../src/engine/types.ts';
import { silentLogger } from '../../src/lib/logger.ts';
import { CountingPlatform } from '../helpers/counting-platform.ts';
import { runRecord, step } from '../helpers/run-records.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('pacing of the living message', () => {
  it('a step writing 10,000 lines in 5 s costs at most (duration s + 3) writes, and the last write holds the last lines', async () => {
    const platform = new CountingPlatform({ writes: 1, perMs: 1000 }, { maxLines: 20, maxChars: 3000 });
    const pacer = new Pacer({ budget: platform.budget, log: silentLogger });
    const state: PresenterState = { replies: {}, uploaded: [] };
    const presenter = new RunPresenter({ platform, pacer, channel: 'ops', state, log: silentLogger });
    const started = Date.now();
    let run = runRecord({ startedAt: started, steps: [step('spam', { state: 'running', startedAt: started })] });
    presenter.render(run);

    let n = 0;
    while (n < 10_000) {
      const lines = Array.from({ length: 40 }, () => `line ${++n}`);
      const e: RunEvent = { type: 'step.output', ts: Date.now(), runId: run.id, step: 'spam', lines, stream: 'stdout' };
      presenter.ingest([e]);
      presenter.render(run);
      await sleep(20);
    }
    const ended = Date.now();
    run = runRecord({
      startedAt: started,
      endedAt: ended,
      state: 'succeeded',
      steps: [step('spam', { state: 'succeeded', startedAt: started, endedAt: ended, exitCode: 0 })],
    });
    presenter.render(run);
    await pacer.idle();

    const out = platform.find('step-output');
    expect(out).toBeDefined();
    const durationS = Math.ceil((ended - started) / 1000);
    expect(out?.writes).toBeLessThanOrEqual(durationS + 3);
    expect(out?.writes).toBeGreaterThanOrEqual(2);
    const last = out?.content;
    if (last?.kind !== 'step-output') throw new Error('expected step output');
    expect(last.view.final).toBe(true);
    expect(last.view.lines.at(-1)?.text).toBe('line 10000');
    expect(last.view.truncated).toBe(true);
    expect(last.view.head[0]?.text).toBe('line 1');
    // The whole log went up as a file, once.
    expect(platform.files).toHaveLength(1);
    expect(platform.files[0]?.file.text.split('\n')).toHaveLength(10_000);
    // The header's last write shows the final state.
    const root = platform.find('run');
    expect(root?.content.kind === 'run' && root.content.view.state).toBe('succeeded');
    pacer.close();
  }, 20_000);

  it('retries a write refused with Retry-After and still writes the final state', async () => {
    const platform = new CountingPlatform({ writes: 50, perMs: 1000 });
    const pacer = new Pacer({ budget: platform.budget, log: silentLogger, minIntervalMs: 10 });
    const presenter = new RunPresenter({ platform, pacer, channel: 'ops', state: { replies: {}, uploaded: [] }, log: silentLogger });
    platform.failNext = 2;
    presenter.render(runRecord({ steps: [step('a', { state: 'running', startedAt: 1_000_000 })] }));
    presenter.render(runRecord({ state: 'failed', endedAt: 1_002_000, error: 'boom', steps: [step('a', { state: 'failed', startedAt: 1_000_000, endedAt: 1_002_000, exitCode: 3 })] }));
    await pacer.idle();
    const root = platform.find('run');
    expect(root?.content.kind === 'run' && root.content.view.state).toBe('failed');
    expect(platform.messages.size).toBe(1);
    pacer.close();
  });

  it('after a 429 nothing is written to that channel before Retry-After has passed', async () => {
    const platform = new CountingPlatform({ writes: 100, perMs: 1000 });
    const pacer = new Pacer({ budget: platform.budget, log: silentLogger, minIntervalMs: 10 });
    const presenter = new RunPresenter({ platform, pacer, channel: 'ops', state: { replies: {}, uploaded: [] }, log: silentLogger });
    presenter.render(runRecord({ steps: [step('a', { state: 'running', startedAt: 1_000_000 })] }));
    await pacer.idle();
    platform.failNext = 1;
    platform.retryAfterMs = 300;
    const out: RunEvent = { type: 'step.output', ts: 0, runId: 'r-test01', step: 'a', lines: ['x'], stream: 'stdout' };
    presenter.ingest([out]);
    presenter.render(runRecord({ state: 'succeeded', endedAt: 1_001_000, steps: [step('a', { state: 'succeeded', startedAt: 1_000_000, endedAt: 1_001_000 })] }));
    await pacer.idle();
    const refusedAt = platform.attempts.findIndex((a) => a.refused);
    const refused = platform.attempts[refusedAt];
    const next = platform.attempts[refusedAt + 1];
    if (!refused || !next) throw new Error('expected a refused write and a later one');
    expect(next.at - refused.at).toBeGreaterThanOrEqual(290);
    expect(presenter.behind).toBe(false);
    const root = platform.find('run');
    expect(root?.content.kind === 'run' && root.content.view.state).toBe('succeeded');
    expect(platform.find('step-output')).toBeDefined();
    pacer.close();
  });
});
