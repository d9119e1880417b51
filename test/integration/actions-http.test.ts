import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { freePort } from '../../src/lib/private-redis.js';
import { BODY_TRUNCATED_MARKER, MAX_BODY_BYTES, runHttp } from '../../src/actions/http.js';
import { testContext } from './actions-context.js';

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

let server: Server;
let base: string;
const seen: Seen[] = [];
const sockets = new Set<Socket>();

const STRADDLING_SECRET = 'sk-live-0123456789abcdef';

function handle(req: IncomingMessage, res: ServerResponse, body: string): void {
  const path = req.url ?? '/';
  if (path === '/ok') {
    res.writeHead(200, { 'content-type': 'text/plain' }).end('all good\n');
  } else if (path === '/json') {
    res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify({ received: body }));
  } else if (path === '/down') {
    res.writeHead(503).end('maintenance');
  } else if (path === '/big') {
    res.writeHead(200);
    res.end('y'.repeat(MAX_BODY_BYTES * 3));
  } else if (path === '/straddle') {
    // A secret echoed across the body cut: its first 5 characters before it, the rest after.
    res.writeHead(200).end('y'.repeat(MAX_BODY_BYTES - 5) + STRADDLING_SECRET + 'z'.repeat(100));
  } else if (path === '/lines') {
    res.writeHead(200).end(Array.from({ length: 30 }, (_, i) => `line ${i + 1}`).join('\n'));
  } else if (path === '/hang') {
    res.writeHead(200);
    res.write('partial');
    // never ends: the client must time out or be cancelled
  } else {
    res.writeHead(404).end('no');
  }
}

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString();
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      handle(req, res, body);
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  for (const s of sockets) s.destroy();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

beforeEach(() => {
  seen.length = 0;
});

describe('runHttp', () => {
  it('GETs a URL, outputs status and body, and summarises in output lines', async () => {
    const ctx = testContext();
    const result = await runHttp({ url: `${base}/ok` }, ctx);
    expect(result).toEqual({ ok: true, outputs: { status: '200', body: 'all good\n' } });
    expect(ctx.stdout()[0]).toBe(`> GET ${base}/ok`);
    expect(ctx.stdout()[1]).toMatch(/^< 200 OK \(\d+ ms, 9 bytes\)$/);
    expect(ctx.stdout().slice(2)).toEqual(['all good']);
  });

  it('sends an object body as JSON with headers', async () => {
    const result = await runHttp({ url: `${base}/json`, method: 'POST', headers: { 'X-Token': 'abc' }, body: { service: 'api', count: 2 } }, testContext());
    expect(result.ok).toBe(true);
    expect(result.outputs.status).toBe('201');
    expect(seen[0]?.method).toBe('POST');
    expect(seen[0]?.headers['content-type']).toBe('application/json');
    expect(seen[0]?.headers['x-token']).toBe('abc');
    expect(JSON.parse(seen[0]?.body ?? '')).toEqual({ service: 'api', count: 2 });
  });

  it('sends a string body as is, keeping a given content-type', async () => {
    await runHttp({ url: `${base}/json`, method: 'PUT', headers: { 'content-type': 'text/plain' }, body: 'raw text' }, testContext());
    expect(seen[0]?.headers['content-type']).toBe('text/plain');
    expect(seen[0]?.body).toBe('raw text');
  });

  it('fails on an unexpected status, keeping the outputs', async () => {
    const result = await runHttp({ url: `${base}/down` }, testContext());
    expect(result).toEqual({ ok: false, outputs: { status: '503', body: 'maintenance' }, error: `GET ${base}/down: expected a 2xx status, got 503 Service Unavailable` });
  });

  it('accepts the expected status, one or a list', async () => {
    expect((await runHttp({ url: `${base}/down`, expect: 503 }, testContext())).ok).toBe(true);
    expect((await runHttp({ url: `${base}/nothing`, expect: [200, 404] }, testContext())).ok).toBe(true);
    expect(await runHttp({ url: `${base}/ok`, expect: [201, 204] }, testContext())).toMatchObject({ ok: false, error: expect.stringMatching(/expected status 201 or 204, got 200 OK/) });
  });

  it('truncates a large body with a marker and previews only the first lines', async () => {
    const big = await runHttp({ url: `${base}/big` }, testContext());
    expect(big.outputs.body).toBe('y'.repeat(MAX_BODY_BYTES) + BODY_TRUNCATED_MARKER);
    const ctx = testContext();
    await runHttp({ url: `${base}/lines` }, ctx);
    expect(ctx.stdout()).toHaveLength(2 + 20 + 1);
    expect(ctx.stdout().at(-1)).toBe('… 10 more line(s) in outputs.body');
  });

  it('masks the body before cutting it, so a secret straddling the cut leaves nothing in clear', async () => {
    const result = await runHttp({ url: `${base}/straddle` }, testContext({}, undefined, [STRADDLING_SECRET]));
    expect(result.outputs.body).toBe('y'.repeat(MAX_BODY_BYTES - 5) + '***zz' + BODY_TRUNCATED_MARKER);
    expect(result.outputs.body).not.toContain(STRADDLING_SECRET.slice(0, 5));
  });

  it('moves URL credentials into a Basic header and never shows the password', async () => {
    const ctx = testContext();
    const url = `${base.replace('http://', 'http://deploy:p%40ss@')}/ok`;
    const result = await runHttp({ url }, ctx);
    expect(result.ok).toBe(true);
    expect(seen[0]?.headers.authorization).toBe(`Basic ${Buffer.from('deploy:p@ss').toString('base64')}`);
    expect(JSON.stringify(ctx.lines)).not.toContain('p%40ss');
  });

  it('times out with a clear error', async () => {
    const result = await runHttp({ url: `${base}/hang`, timeoutMs: 200 }, testContext());
    expect(result).toEqual({ ok: false, outputs: {}, error: `GET ${base}/hang: no complete response within 200 ms` });
  });

  it('stops at once on cancel', async () => {
    const ctx = testContext();
    const pending = runHttp({ url: `${base}/hang` }, ctx);
    setTimeout(() => ctx.controller.abort(), 100);
    expect(await pending).toMatchObject({ ok: false, cancelled: true });
  });

  it('explains connection failures and bad specs', async () => {
    const port = await freePort(); // nothing listens there any more
    const refused = await runHttp({ url: `http://127.0.0.1:${port}/` }, testContext());
    expect(refused).toEqual({ ok: false, outputs: {}, error: `GET http://127.0.0.1:${port}/ failed: connect ECONNREFUSED 127.0.0.1:${port}` });
    expect(await runHttp({ url: 'not a url' }, testContext())).toMatchObject({ ok: false, error: expect.stringMatching(/invalid URL "not a url"/) });
    expect(await runHttp({ url: 'file:///etc/passwd' }, testContext())).toMatchObject({ ok: false, error: expect.stringMatching(/unsupported URL scheme file:/) });
    expect(await runHttp({ url: `${base}/ok`, body: 'x' }, testContext())).toMatchObject({ ok: false, error: expect.stringMatching(/GET request cannot have a body/) });
    expect(await runHttp({ url: `${base}/ok`, headers: { 'bad header': 'x' } }, testContext())).toEqual({ ok: false, outputs: {}, error: 'invalid HTTP header name "bad header"' });
    const badValue = await runHttp({ url: `${base}/ok`, headers: { authorization: 'Bearer tok\nen' } }, testContext());
    expect(badValue).toEqual({ ok: false, outputs: {}, error: 'a header value holds characters HTTP does not allow (such as a newline)' });
  });
});
