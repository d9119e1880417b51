/**
 * Request forgery through http steps (issue 9, item 7): an input can never move a request to
 * another path, host or port, and redirects never carry the step's headers to another origin.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { runHttp } from '../../src/actions/http.js';
import { cli, harness, workflowsFrom } from '../helpers/engine-harness.js';
import { closeHarnessesAfterEach } from '../helpers/close-harnesses.js';
import { testContext } from './actions-context.js';

interface Seen {
  server: 'target' | 'other';
  method: string;
  url: string;
  token?: string;
}

const TOKEN = 'hdr-token-7a6b5c4d3e';
const seen: Seen[] = [];
let target: Server;
let other: Server;
let targetBase = '';
let otherBase = '';

function serve(name: Seen['server']): Server {
  return createServer((req: IncomingMessage, res) => {
    req.resume();
    req.on('end', () => {
      const url = req.url ?? '/';
      seen.push({ server: name, method: req.method ?? '', url, token: req.headers['x-token'] as string | undefined });
      if (url === '/redir-other') res.writeHead(302, { location: `${otherBase}/steal` }).end();
      else if (url === '/redir-same') res.writeHead(302, { location: '/landed' }).end();
      else if (url === '/redir-307') res.writeHead(307, { location: `${targetBase}/landed` }).end();
      else if (url === '/loop') res.writeHead(302, { location: '/loop' }).end();
      else res.writeHead(200).end(`${name} ${req.method ?? ''} ${url}`);
    });
  });
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

beforeAll(async () => {
  target = serve('target');
  other = serve('other');
  targetBase = await listen(target);
  otherBase = await listen(other);
});

afterAll(async () => {
  target.closeAllConnections();
  other.closeAllConnections();
  await Promise.all([new Promise((r) => target.close(r)), new Promise((r) => other.close(r))]);
});

beforeEach(() => {
  seen.length = 0;
});

const headers = { 'X-Token': TOKEN };

describe('redirects', () => {
  it('are not followed by default: the 3xx is the response, and the step says how to follow', async () => {
    const result = await runHttp({ url: `${targetBase}/redir-same`, headers }, testContext());
    expect(result.ok).toBe(false);
    expect(result.outputs.status).toBe('302');
    expect(result.error).toMatch(/got 302 Found \(a redirect: set follow_redirects: true/);
    expect(seen.map((s) => s.url)).toEqual(['/redir-same']);
  });

  it('are followed within the same origin when the step allows it, headers kept', async () => {
    const ctx = testContext();
    const result = await runHttp({ url: `${targetBase}/redir-same`, headers, followRedirects: true }, ctx);
    expect(result).toMatchObject({ ok: true, outputs: { status: '200', body: 'target GET /landed' } });
    expect(seen).toEqual([
      { server: 'target', method: 'GET', url: '/redir-same', token: TOKEN },
      { server: 'target', method: 'GET', url: '/landed', token: TOKEN },
    ]);
    expect(ctx.stdout()).toContain(`< 302 redirect, > GET ${targetBase}/landed`);
  });

  it('keep method and body on 307', async () => {
    const result = await runHttp({ url: `${targetBase}/redir-307`, method: 'POST', body: 'x', headers, followRedirects: true }, testContext());
    expect(result.outputs.body).toBe('target POST /landed');
  });

  it('to another origin are refused with a clear error, and the header never leaves the origin', async () => {
    for (const followRedirects of [true, false]) {
      const result = await runHttp({ url: `${targetBase}/redir-other`, headers, followRedirects }, testContext());
      expect(result.ok).toBe(false);
      if (followRedirects) expect(result.error).toBe(`GET ${targetBase}/redir-other: redirect to another origin (${otherBase}) refused: redirects are followed only within ${targetBase}`);
    }
    expect(seen.filter((s) => s.server === 'other')).toEqual([]);
  });

  it('stop after a bounded number', async () => {
    const result = await runHttp({ url: `${targetBase}/loop`, followRedirects: true }, testContext());
    expect(result.error).toMatch(/more than 10 redirects/);
    expect(seen).toHaveLength(11);
  });
});

const FORGE = (base: string) => `
name: forge
inputs:
  svc: { type: string, required: true }
  host: { type: string, default: 127.0.0.1 }
steps:
  - id: call
    http:
      url: '${base}/svc/\${{ inputs.svc }}/health?from=\${{ inputs.svc }}'
      method: POST
      headers: { X-Token: ${TOKEN} }
`;

describe('an http step with an input in its URL', () => {
  closeHarnessesAfterEach();

  it('sends the traversal attack to the encoded path on the same server, never to /admin', async () => {
    const h = await harness(workflowsFrom(FORGE(targetBase)));
    const svc = 'x/../../../admin?q=1#';
    const { run } = await h.engine.startRun({ workflow: 'forge', inputs: { svc }, trigger: cli });
    const done = await h.waitFor(run.id);
    expect(done.state).toBe('succeeded');
    expect(seen).toHaveLength(1);
    expect(seen[0]).toEqual({ server: 'target', method: 'POST', url: '/svc/x%2F..%2F..%2F..%2Fadmin%3Fq%3D1%23/health?from=x%2F..%2F..%2F..%2Fadmin%3Fq%3D1%23', token: TOKEN });
  });

  it('fails the step without any request when a value would make a `..` segment', async () => {
    const h = await harness(workflowsFrom(FORGE(targetBase)));
    const { run } = await h.engine.startRun({ workflow: 'forge', inputs: { svc: '..' }, trigger: cli });
    const done = await h.waitFor(run.id);
    expect(done.state).toBe('failed');
    expect(done.steps[0]?.error).toMatch(/makes the segment `\.\.`, which would move up the path; refused/);
    expect(seen).toEqual([]);
  });

  it('fails the step when an input in the host would also change port or path', async () => {
    const port = new URL(targetBase).port;
    const h = await harness(workflowsFrom(`
name: by-host
inputs: { host: { type: string, required: true } }
steps:
  - id: call
    http: { url: 'http://\${{ inputs.host }}:${port}/health', headers: { X-Token: ${TOKEN} } }
`));
    const ok = await h.engine.startRun({ workflow: 'by-host', inputs: { host: '127.0.0.1' }, trigger: cli });
    expect((await h.waitFor(ok.run.id)).state).toBe('succeeded');
    const bad = await h.engine.startRun({ workflow: 'by-host', inputs: { host: `127.0.0.1:${new URL(otherBase).port}/steal?` }, trigger: cli });
    const done = await h.waitFor(bad.run.id);
    expect(done.state).toBe('failed');
    expect(done.steps[0]?.error).toMatch(/host or port of the URL is not a plain host name/);
    expect(seen.map((s) => `${s.server} ${s.url}`)).toEqual(['target /health']);
  });
});
