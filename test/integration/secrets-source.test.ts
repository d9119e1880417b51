/**
 * `${{ secrets.NAME }}` from the worker's environment and a mounted folder (issue 9, item 8):
 * read when the step runs, masked everywhere, never in Redis, a missing one fails the step by name.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EnvSecretSource } from '../../src/config/secret-source.js';
import { cli, harness, workflowsFrom } from '../helpers/engine-harness.js';
import { closeHarnessesAfterEach } from '../helpers/close-harnesses.js';
import { keysHolding } from '../helpers/redis-dump.js';

const ENV_TOKEN = 'env-tok-4f3e2d1c0b9a';
const FILE_PASSWORD = 'file-pw-a1b2c3d4e5f6';
const OTHER = 'other-secret-77665544';
const B64 = 'YWJj+ZGVm/Z2hp=='; // percent-encoded in a URL: masked in that form too

let dir = '';
let server: Server;
let base = '';
const received: Array<{ url: string; auth?: string }> = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'chatops-secrets-'));
  // As Kubernetes mounts a Secret: files are links into a ..data folder, values end with a newline.
  mkdirSync(join(dir, '..2026_12_01'));
  writeFileSync(join(dir, '..2026_12_01', 'db_password'), `${FILE_PASSWORD}\n`);
  symlinkSync('..2026_12_01', join(dir, '..data'));
  symlinkSync(join('..data', 'db_password'), join(dir, 'db_password'));
  writeFileSync(join(dir, 'OTHER'), OTHER);
  server = createServer((req, res) => {
    received.push({ url: req.url ?? '', auth: req.headers.authorization });
    // Echoes what it got, as a careless API would: the body holds the token.
    res.writeHead(req.url?.startsWith('/fail') ? 500 : 200).end(`you sent ${req.headers.authorization ?? ''} to ${req.url ?? ''}`);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

const source = () => new EnvSecretSource({ CHATOPS_SECRET_API_TOKEN: ENV_TOKEN, CHATOPS_SECRET_B64: B64 }, dir);

const USES = () => `
name: uses
env: { TOKEN: '\${{ secrets.api_token }}' }
steps:
  - id: shell
    env: { PW: '\${{ secrets.DB_PASSWORD }}' }
    run: |
      echo "token $TOKEN pw $PW"
      echo "pw=$PW" >> "$CHATOPS_OUTPUT"
      echo "tok=prefix-$TOKEN" >> "$CHATOPS_OUTPUT"
  - id: call
    needs: shell
    http: { url: '${base}/ok?key=\${{ secrets.db_password }}&b=\${{ secrets.b64 }}', headers: { Authorization: 'Bearer \${{ env.TOKEN }}' } }
  - id: fails
    needs: call
    continue_on_error: true
    http: { url: '${base}/fail?key=\${{ secrets.db_password }}' }
  - id: tell
    needs: fails
    notify: 'body was \${{ steps.call.outputs.body }}; token \${{ secrets.API_TOKEN }}'
  - id: unnamed
    needs: tell
    run: cat "$SECRETS_DIR/OTHER"
    env: { SECRETS_DIR: '${dir}' }
`;

describe('secrets from the worker', () => {
  closeHarnessesAfterEach();

  it('reads the environment and a Kubernetes-style folder, masks them everywhere, and never writes them to Redis', async () => {
    const h = await harness(workflowsFrom(USES()), { engine: { secrets: source() } });
    const { run } = await h.engine.startRun({ workflow: 'uses', inputs: {}, trigger: cli });
    const done = await h.waitFor(run.id);
    expect(done.state).toBe('succeeded');
    // The real values reached the server (file value without its newline)…
    expect(received.at(-2)).toEqual({ url: `/ok?key=${FILE_PASSWORD}&b=${encodeURIComponent(B64)}`, auth: `Bearer ${ENV_TOKEN}` });
    // …and appear nowhere the bot wrote.
    const events = await h.engine.readEvents(run.id);
    const lines = events.flatMap((e) => (e.type === 'step.output' ? e.lines : []));
    expect(lines).toContain('token *** pw ***');
    expect(lines).toContain(`> GET ${base}/ok?key=***&b=***`);
    expect(lines).toContain('you sent Bearer *** to /ok?key=***&b=***');
    expect(lines).toContain('***'); // the file a step printed without naming the secret
    expect(done.steps.find((s) => s.id === 'shell')?.outputs).toEqual({ pw: '***', tok: 'prefix-***' });
    expect(done.steps.find((s) => s.id === 'call')?.outputs.body).toBe('you sent Bearer *** to /ok?key=***&b=***');
    expect(done.steps.find((s) => s.id === 'fails')?.error).toBe(`GET ${base}/fail?key=***: expected a 2xx status, got 500 Internal Server Error`);
    expect(events.find((e) => e.type === 'notify')).toMatchObject({ text: 'body was you sent Bearer *** to /ok?key=***&b=***; token ***' });
    const transcript = await h.engine.transcript(run.id);
    for (const secret of [ENV_TOKEN, FILE_PASSWORD, OTHER, B64, encodeURIComponent(B64)]) expect(transcript).not.toContain(secret);
    expect(await keysHolding(h.engine.redis, [ENV_TOKEN, FILE_PASSWORD, OTHER, B64, encodeURIComponent(B64)].map((s) => s.slice(0, 10)))).toEqual([]);
  });

  it('fails a step that reads a missing secret, naming it and no other', async () => {
    const h = await harness(
      workflowsFrom(`
name: missing
steps:
  - id: call
    env: { A: '\${{ secrets.api_token }}', B: '\${{ secrets.NOPE }}' }
    run: echo "should not run"
`),
      { engine: { secrets: source() } },
    );
    const { run } = await h.engine.startRun({ workflow: 'missing', inputs: {}, trigger: cli });
    const done = await h.waitFor(run.id);
    expect(done.state).toBe('failed');
    const error = done.steps[0]?.error ?? '';
    expect(error).toBe(`secret \`NOPE\` is not set: set CHATOPS_SECRET_NOPE or put a file NOPE in ${dir} on the worker`);
    expect(error).not.toMatch(/api_token|API_TOKEN|db_password|OTHER/);
    const lines = (await h.engine.readEvents(run.id)).flatMap((e) => (e.type === 'step.output' ? e.lines : []));
    expect(lines).toEqual([]);
  });

  it('reads the process environment and CHATOPS_SECRETS_DIR by default', async () => {
    process.env.CHATOPS_SECRET_FROM_PROCESS = 'proc-secret-1234567';
    process.env.CHATOPS_SECRETS_DIR = dir;
    try {
      const h = await harness(
        workflowsFrom(`
name: defaults
steps:
  - id: show
    env: { A: '\${{ secrets.from_process }}', B: '\${{ secrets.db_password }}' }
    run: echo "a=$A" >> "$CHATOPS_OUTPUT"; echo "$B" | wc -c
`),
      );
      const { run } = await h.engine.startRun({ workflow: 'defaults', inputs: {}, trigger: cli });
      const done = await h.waitFor(run.id);
      expect(done.state).toBe('succeeded');
      expect(done.steps[0]?.outputs).toEqual({ a: '***' });
      const lines = (await h.engine.readEvents(run.id)).flatMap((e) => (e.type === 'step.output' ? e.lines : []));
      expect(lines).toEqual([String(FILE_PASSWORD.length + 1)]);
    } finally {
      delete process.env.CHATOPS_SECRET_FROM_PROCESS;
      delete process.env.CHATOPS_SECRETS_DIR;
    }
  });

  it('masks a secret printed in pieces, and a slice of it written as an output or notified', async () => {
    const h = await harness(
      workflowsFrom(`
name: pieces
steps:
  - id: leak
    env: { K: '\${{ secrets.api_token }}' }
    run: |
      echo "head \${K:0:8}"
      echo "tail \${K:8}"
      echo "mid=\${K:4:10}" >> "$CHATOPS_OUTPUT"
      echo "short \${K:0:7}"
  - id: tell
    needs: leak
    notify: 'slice \${{ steps.leak.outputs.mid }}'
`),
      { engine: { secrets: source() } },
    );
    const { run } = await h.engine.startRun({ workflow: 'pieces', inputs: {}, trigger: cli });
    const done = await h.waitFor(run.id);
    expect(done.state).toBe('succeeded');
    const events = await h.engine.readEvents(run.id);
    const lines = events.flatMap((e) => (e.type === 'step.output' ? e.lines : []));
    // Pieces of 8 or more characters are masked; a 7-character piece is what masking cannot catch.
    expect(lines).toEqual(['head ***', 'tail ***', `short ${ENV_TOKEN.slice(0, 7)}`, 'slice ***']);
    expect(done.steps[0]?.outputs).toEqual({ mid: '***' });
    expect(events.find((e) => e.type === 'notify')).toMatchObject({ text: 'slice ***' });
    expect(await keysHolding(h.engine.redis, [ENV_TOKEN.slice(0, 8), ENV_TOKEN.slice(8), ENV_TOKEN.slice(4, 14)])).toEqual([]);
  });
});

