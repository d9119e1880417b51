import { describe, expect, it } from '@jest/globals';
import { EnvSecretSource } from '../../src/config/secret-source.js';
import { NO_OBSERVER } from '../../src/engine/observer.js';
import { cli, harness, workflowsFrom, type Harness } from '../helpers/engine-harness.js';
import { closeHarnessesAfterEach } from '../helpers/close-harnesses.js';
import { keysHolding } from '../helpers/redis-dump.js';

const SECRET = 'hunter2-Sup3rS3cret';
const CTX_SECRET = 'ctx-token-9f8e7d6c5b';

const PARENT = `
name: parent
inputs:
  api_key: { type: string, required: true, secret: true }
  svc: { type: string, default: api }
steps:
  - id: leak
    env: { TOKEN: "\${{ secrets.token }}" }
    run: |
      echo "key is $INPUT_API_KEY and token $TOKEN"
      echo "also on stderr $INPUT_API_KEY" >&2
      # A line long enough to be clipped, with the secret straddling the cut (4,000 characters).
      printf '%s%s tail\\n' "$(head -c 3995 /dev/zero | tr '\\0' a)" "$INPUT_API_KEY"
      echo "k=$INPUT_API_KEY" >> "$CHATOPS_OUTPUT"
      echo "$INPUT_API_KEY=named after the secret" >> "$CHATOPS_OUTPUT"
  - id: child
    needs: leak
    workflow: { name: child, inputs: { svc: "\${{ inputs.svc }}", echo: "\${{ inputs.api_key }}" } }
  - id: tell
    needs: child
    notify: "child said \${{ steps.child.outputs.said }} with \${{ inputs.api_key }}"
  - id: fail
    needs: tell
    run: echo "failing with $INPUT_API_KEY"; exit 1
outputs: { key: "\${{ inputs.api_key }}", said: "\${{ steps.child.outputs.said }}" }
`;
const CHILD = `
name: child
inputs: { svc: { type: string }, echo: { type: string } }
steps:
  - id: say
    run: echo "said=$INPUT_SVC/$INPUT_ECHO" >> "$CHATOPS_OUTPUT"; echo "child sees $INPUT_ECHO"
outputs: { said: "\${{ steps.say.outputs.said }}" }
`;

describe('engine: secrets and sub-workflows', () => {
  let h: Harness | undefined;
  closeHarnessesAfterEach();

  it('runs a sub-workflow whose outputs flow back, and never writes a secret to Redis in clear', async () => {
    h = await harness(workflowsFrom(PARENT, CHILD), { engine: { secrets: new EnvSecretSource({ CHATOPS_SECRET_TOKEN: CTX_SECRET }) } });
    const { run } = await h.engine.startRun({ workflow: 'parent', inputs: { api_key: SECRET }, trigger: { ...cli, text: `run parent api_key=${SECRET}` } });
    const done = await h.waitFor(run.id);
    expect(done.state).toBe('failed');
    expect(done.steps.find((s) => s.id === 'leak')?.outputs).toEqual({ k: '***', '***': 'named after the secret' });
    const child = done.steps.find((s) => s.id === 'child');
    expect(child).toMatchObject({ state: 'succeeded', outputs: { said: 'api/***' } });
    expect(child?.childRunId).toMatch(/^r-/);
    expect(done.inputs).toEqual({ api_key: '***', svc: 'api' });
    expect(done.outputs).toEqual({ key: '***', said: 'api/***' });
    expect(done.trigger.text).toBe('run parent api_key=***');
    const lines = (await h.engine.readEvents(run.id)).flatMap((e) => (e.type === 'step.output' ? e.lines : []));
    expect(lines).toContain('key is *** and token ***');
    expect(lines).toContain('also on stderr ***');
    expect(lines.find((l) => l.startsWith('aaaa'))).toMatch(/^a{3995}\*\*\*/);
    const transcript = await h.engine.transcript(run.id);
    expect(transcript).toContain('`api_key=***`');
    expect(transcript).not.toContain(SECRET);

    // Every key of this test's prefix, whatever its type. The first 6 characters catch a secret
    // cut in half, not only one written whole.
    const found = await keysHolding(h.engine.redis, [SECRET, CTX_SECRET].map((secret) => secret.slice(0, 6)), `${h.opts.prefix}*`);
    expect(found).toEqual([]);
  });

  it('masks a secret longer than the line clip that starts just before it (the shell cut is far beyond the clip)', async () => {
    const long = `LONGSECRET-${'0123456789'.repeat(1300)}`; // 13,011 characters
    h = await harness(workflowsFrom(LONG_LINE), { engine: { secrets: new EnvSecretSource({ CHATOPS_SECRET_TOKEN: long }) } });
    const { run } = await h.engine.startRun({ workflow: 'long-line', inputs: {}, trigger: cli });
    expect((await h.waitFor(run.id)).state).toBe('succeeded');
    const lines = (await h.engine.readEvents(run.id)).flatMap((e) => (e.type === 'step.output' ? e.lines : []));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^a{3990}\*\*\*/);
    expect(JSON.stringify(await h.engine.readEvents(run.id))).not.toContain('LONGSECRET');
  });
});

describe('engine: a one-character secret', () => {
  let h: Harness | undefined;
  closeHarnessesAfterEach();

  it('masks its occurrences in output and output values, and keeps the records and metric labels intact', async () => {
    const finished: string[] = [];
    const observer = { ...NO_OBSERVER, stepFinished: (_workflow: string, kind: string, state: string) => void finished.push(`${kind}:${state}`) };
    h = await harness(workflowsFrom(TINY, TINY_CHILD), { engine: { observer } });
    const { run } = await h.engine.startRun({ workflow: 'tiny', inputs: { pin: 'k' }, trigger: { ...cli, requester: 'cli:kate', text: 'run tiny pin=k' } });
    const done = await h.waitFor(run.id);
    expect(done.steps.map((s) => [s.id, s.kind, s.phase, s.state])).toEqual([
      ['make', 'run', 'main', 'succeeded'],
      ['check', 'run', 'main', 'succeeded'],
      ['kick', 'workflow', 'main', 'succeeded'],
      ['kaput', 'run', 'main', 'failed'],
    ]);
    expect(done.state).toBe('failed');
    expect(done.error).toBe('step kaput failed: exit code 3');
    for (const step of done.steps) expect(Object.keys(step).filter((k) => k.includes('*'))).toEqual([]);
    expect(done.steps[0]?.outputs).toEqual({ kind: '***ey-***' });
    expect(done.steps[2]?.outputs).toEqual({ back: '***ey-***' });
    expect(done.outputs).toEqual({ kind: '***ey-***' });
    expect(done.inputs).toEqual({ pin: '***' });
    expect(done.trigger).toEqual({ ...cli, requester: 'cli:kate', text: 'run tiny pin=***' });
    const events = await h.engine.readEvents(run.id);
    const lines = events.flatMap((e) => (e.type === 'step.output' ? e.lines : []));
    expect(lines).toEqual(expect.arrayContaining(['pin is ***', 'got ***ey-***', '***aput with ***']));
    expect(events.filter((e) => e.type === 'step.finished').map((e) => e.type === 'step.finished' && [e.step, e.state, e.outputs])).toEqual([
      ['make', 'succeeded', { kind: '***ey-***' }],
      ['check', 'succeeded', {}],
      ['kick', 'succeeded', { back: '***ey-***' }],
      ['kaput', 'failed', {}],
    ]);
    // The parent's four steps and the child's one.
    expect(finished.sort()).toEqual(['run:failed', 'run:succeeded', 'run:succeeded', 'run:succeeded', 'workflow:succeeded']);
  });

  it('keeps who cancelled a run and the engine\'s words in the error of a run cancelled or timed out', async () => {
    h = await harness(workflowsFrom(HELD, `${HELD.replace('name: held', 'name: held-briefly')}timeout: 400ms\n`));
    const { run } = await h.engine.startRun({ workflow: 'held', inputs: { pin: 'a' }, trigger: cli });
    await h.waitFor(run.id, ['waiting']);
    await h.engine.cancel(run.id, 'slack:U0A');
    const cancelled = await h.waitFor(run.id);
    expect([cancelled.state, cancelled.error]).toEqual(['cancelled', 'cancelled by slack:U0A']);
    expect((await h.engine.readEvents(run.id)).find((e) => e.type === 'run.cancelling')).toMatchObject({ by: 'slack:U0A' });

    const { run: brief } = await h.engine.startRun({ workflow: 'held-briefly', inputs: { pin: 't' }, trigger: cli });
    const timedOut = await h.waitFor(brief.id);
    expect([timedOut.state, timedOut.error]).toEqual(['timed_out', 'workflow timed out after 400ms']);
  });
});

const TINY = `
name: tiny
inputs:
  pin: { type: string, required: true, secret: true }
steps:
  - id: make
    run: |
      echo "pin is $INPUT_PIN"
      echo "kind=key-$INPUT_PIN" >> "$CHATOPS_OUTPUT"
  - id: check
    needs: make
    env: { KIND: "\${{ steps.make.outputs.kind }}" }
    run: echo "got $KIND"
  - id: kick
    needs: check
    workflow: { name: tiny-child, inputs: { kind: "\${{ steps.make.outputs.kind }}" } }
  - id: kaput
    needs: kick
    run: echo "kaput with $INPUT_PIN" >&2; exit 3
outputs: { kind: "\${{ steps.make.outputs.kind }}" }
`;
const TINY_CHILD = `
name: tiny-child
inputs: { kind: { type: string } }
steps:
  - id: keep
    run: echo "back=$INPUT_KIND" >> "$CHATOPS_OUTPUT"
outputs: { back: "\${{ steps.keep.outputs.back }}" }
`;

const HELD = `
name: held
inputs:
  pin: { type: string, required: true, secret: true }
steps:
  - id: hold
    approval: { roles: [sre] }
`;

const LONG_LINE = `
name: long-line
steps:
  - id: print
    env: { TOKEN: "\${{ secrets.token }}" }
    run: printf '%s%s tail\\n' "$(head -c 3990 /dev/zero | tr '\\0' a)" "$TOKEN"
`;
