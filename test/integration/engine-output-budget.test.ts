import { afterEach, describe, expect, it } from '@jest/globals';
import type { Redis } from 'ioredis';
import type { RunEvent, StepRecord } from '../../src/engine/types.js';
import { cli, harness, workflowsFrom, type Harness } from '../helpers/engine-harness.js';
import { closeHarnessesAfterEach } from '../helpers/close-harnesses.js';
import { testRedis } from '../helpers/redis.js';

const KiB = 1024;
const SECRET = 'hunter2-Sup3rS3cret-token';

/** 20,000,000 bytes of `a` in lines of 99 (the last one without a newline): 202,021 lines. */
const BIG = `
name: big
inputs: { token: { type: string, required: true, secret: true } }
steps:
  - id: flood
    run: |
      for i in 1 2 3 4 5; do echo "token $INPUT_TOKEN line $i"; done
      head -c 20000000 /dev/zero | tr '\\0' a | fold -w 99
`;
const BIG_LINES = 5 + Math.ceil(20_000_000 / 99);
const BIG_BYTES = 5 * Buffer.byteLength(`token ${SECRET} line 1\n`) + 20_000_000 + Math.floor(20_000_000 / 99);

/** Three parallel steps, each 3,000 lines of 99 bytes plus newline: 300,000 bytes. */
const THREE = `
name: three
steps:
${['a', 'b', 'c'].map((id) => `  - id: ${id}\n    run: head -c 297000 /dev/zero | tr '\\0' ${id} | fold -w 99; echo`).join('\n')}
`;

function outputLines(events: RunEvent[], step: string): string[] {
  return events.flatMap((e) => (e.type === 'step.output' && e.step === step ? e.lines : []));
}

const bytesOf = (lines: string[]) => lines.reduce((n, l) => n + Buffer.byteLength(l) + 1, 0);
const isNote = (l: string) => l.startsWith('[chatops] ');

describe('engine: step output is bounded in bytes', () => {
  let h: Harness | undefined;
  let redis: Redis | undefined;
  closeHarnessesAfterEach();
  afterEach(async () => {
    await redis?.quit();
    redis = undefined;
  });

  it('keeps a step printing 20 MB under its budget, counts the rest and says so; the run succeeds', async () => {
    h = await harness(workflowsFrom(BIG), { engine: { outputBudget: { stepBytes: 64 * KiB, runBytes: 1024 * KiB } } });
    redis = testRedis();
    const { run } = await h.engine.startRun({ workflow: 'big', inputs: { token: SECRET }, trigger: cli });
    const done = await h.waitFor(run.id, undefined, 60_000);
    expect(done.state).toBe('succeeded');

    const events = await h.engine.readEvents(run.id, { count: 100_000 });
    const lines = outputLines(events, 'flood');
    const kept = lines.filter((l) => !isNote(l));
    const notes = lines.filter(isNote);
    // Under the budget; the two notes are the only overhead.
    expect(bytesOf(kept)).toBeLessThanOrEqual(64 * KiB);
    expect(bytesOf(kept)).toBeGreaterThan(60 * KiB);
    expect(notes).toEqual([
      "[chatops] output past this point is not kept: the step's output budget of 64 KiB (CHATOPS_STEP_OUTPUT_MAX) is spent; the rest is only counted",
      expect.stringMatching(/^\[chatops\] 201,3\d\d lines \(19 MiB\) not kept: the step's output budget is 64 KiB \(CHATOPS_STEP_OUTPUT_MAX\); the full output was not saved anywhere$/),
    ]);
    // Masked before anything is counted or cut: the secret is nowhere in the stream.
    expect(kept.slice(0, 5)).toEqual([1, 2, 3, 4, 5].map((i) => `token *** line ${i}`));
    expect(lines.join('\n')).not.toContain(SECRET.slice(0, 8));

    // Every line and byte is either kept or counted.
    const step = done.steps.find((s) => s.id === 'flood') as StepRecord;
    const cut = step.output?.cut;
    expect(cut).toMatchObject({ scope: 'step', budget: 64 * KiB });
    expect(kept.length + (cut?.lines ?? 0)).toBe(BIG_LINES);
    // Kept lines are counted masked (*** is shorter than the secret).
    expect(bytesOf(kept) + (cut?.bytes ?? 0)).toBe(BIG_BYTES - 5 * (SECRET.length - 3));
    expect(step.output?.lines).toBe(lines.length);
    expect(step.output?.tail.at(-1)).toBe(notes[1]);

    // In Redis: a few entries, a few dozen KiB.
    const key = h.engine.keys.events(run.id);
    expect(await redis.xlen(key)).toBeLessThan(30);
    expect(Number(await redis.memory('USAGE', key))).toBeLessThan(64 * KiB + 32 * KiB);
    expect(Number(await redis.hget(h.engine.keys.run(run.id), 'outBytes'))).toBe(bytesOf(kept));

    // The transcript shows the cut.
    expect(await h.engine.transcript(run.id)).toContain(notes[1]);
  }, 90_000);

  it('shares one budget between the steps of a run, even when they print at once', async () => {
    h = await harness(workflowsFrom(THREE), { engine: { outputBudget: { stepBytes: 256 * KiB, runBytes: 400 * KiB } } });
    const { run } = await h.engine.startRun({ workflow: 'three', inputs: {}, trigger: cli });
    const done = await h.waitFor(run.id, undefined, 30_000);
    expect(done.state).toBe('succeeded');
    const events = await h.engine.readEvents(run.id, { count: 100_000 });
    let total = 0;
    for (const id of ['a', 'b', 'c']) {
      const lines = outputLines(events, id);
      const kept = lines.filter((l) => !isNote(l));
      const cut = done.steps.find((s) => s.id === id)?.output?.cut;
      // Each step's lines are kept or counted, none lost.
      expect(kept.length + (cut?.lines ?? 0)).toBe(3000);
      expect(bytesOf(kept) + (cut?.bytes ?? 0)).toBe(300_000);
      total += bytesOf(kept);
      if (cut) expect(lines.at(-1)).toMatch(/ not kept: the (step|run)'s output budget is (256|400) KiB /);
    }
    expect(total).toBeLessThanOrEqual(400 * KiB);
    // 900,000 bytes were printed, 400 KiB may be kept: the run's budget cut at least one step.
    expect(total).toBeGreaterThan(400 * KiB - 3 * 100);
    expect(done.steps.some((s) => s.output?.cut?.scope === 'run')).toBe(true);
  }, 60_000);

  it('does not re-create the stream of a run that vanished from Redis (wiped) while its step printed', async () => {
    const SLOW = `
name: slow
steps:
  - id: talk
    run: for i in $(seq 1 40); do echo "line $i"; sleep 0.05; done
`;
    h = await harness(workflowsFrom(SLOW));
    redis = testRedis();
    const { run } = await h.engine.startRun({ workflow: 'slow', inputs: {}, trigger: cli });
    const key = h.engine.keys.events(run.id);
    const deadline = Date.now() + 15_000;
    while (outputLines(await h.engine.readEvents(run.id), 'talk').length === 0) {
      if (Date.now() > deadline) throw new Error('no output came');
      await new Promise((r) => setTimeout(r, 20));
    }
    // Redis loses everything of the run (a restart without persistence).
    await redis.del(...h.engine.keys.runKeys(run.id));
    const worker = h.workers[0];
    while (worker !== undefined && worker.activeSteps() > 0) {
      if (Date.now() > deadline) throw new Error('the step did not end');
      await new Promise((r) => setTimeout(r, 20));
    }
    // The step printed on and ended, yet none of the run's keys came back (they would never expire).
    for (const k of h.engine.keys.runKeys(run.id)) expect({ key: k, exists: await redis.exists(k) }).toEqual({ key: k, exists: 0 });
    expect(await redis.exists(key)).toBe(0);
  }, 30_000);
});
