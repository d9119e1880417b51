import { describe, expect, it } from '@jest/globals';
import { EnvSecretSource } from '../../src/config/secret-source.js';
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

const LONG_LINE = `
name: long-line
steps:
  - id: print
    env: { TOKEN: "\${{ secrets.token }}" }
    run: printf '%s%s tail\\n' "$(head -c 3990 /dev/zero | tr '\\0' a)" "$TOKEN"
`;
