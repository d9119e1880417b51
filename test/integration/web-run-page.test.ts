/**
 * The run pages over a real engine, workers and Redis: signed links (tampered, expired, no key),
 * escaping of hostile output, the live event stream resuming from Last-Event-ID with no gap and no
 * duplicate, one Redis reader for many viewers, the transcript download, and the token-guarded list.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import type { RunEvent } from '../../src/engine/types.js';
import { DEFAULT_LINK_TTL_MS, LinkSigner, linkQueryString } from '../../src/web/link-signing.js';
import { cli, harness, workflowsFrom, type Harness } from '../helpers/engine-harness.js';
import { eventOf, gate, openSse, startWebFront, WEB_KEY, WEB_TOKEN, type SseMessage, type WebTestFront } from '../helpers/web-front.js';

const LIVE = `
name: live
description: Two steps that wait for the test
inputs:
  gate: { type: string, required: true }
  api_key: { type: string, secret: true, default: "sk-live-0123456789" }
steps:
  - id: first
    name: First step
    env: { GATE: "\${{ inputs.gate }}" }
    run: |
      echo "first line"
      printf '<script>window.pwned=1</script> <b>bold</b> \\033[31mred\\033[0m\\n'
      while [ ! -f "$GATE/one" ]; do sleep 0.05; done
      echo "after gate one"
  - id: second
    needs: [first]
    env: { GATE: "\${{ inputs.gate }}" }
    run: |
      echo "second says hi" >&2
      while [ ! -f "$GATE/two" ]; do sleep 0.05; done
      echo "result=done" >> "$CHATOPS_OUTPUT"
outputs: { result: "\${{ steps.second.outputs.result }}" }
`;

const LONG = `
name: long
description: One step printing more lines than a page shows
steps:
  - id: print
    run: seq 1 3000 | sed "s/^/long line /"
`;

let h: Harness;
let front: WebTestFront;
const gates: ReturnType<typeof gate>[] = [];

beforeAll(async () => {
  h = await harness(workflowsFrom(LIVE, LONG), { concurrency: 4 });
  front = await startWebFront(h);
});

afterEach(() => {
  for (const g of gates.splice(0)) {
    g.open('one');
    g.open('two');
  }
});

afterAll(async () => {
  await front.close();
  await h.close();
});

async function startLive(): Promise<{ runId: string; g: ReturnType<typeof gate> }> {
  const g = gate();
  gates.push(g);
  const { run } = await h.engine.startRun({ workflow: 'live', inputs: { gate: g.dir }, trigger: cli });
  return { runId: run.id, g };
}

/** Events of the run's stream as Redis holds them (the truth the page must match). */
async function allEvents(runId: string): Promise<RunEvent[]> {
  return h.engine.readEvents(runId, { after: '0', count: 10_000 });
}

async function until(what: string, ok: () => Promise<boolean> | boolean): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (await ok()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`gave up waiting for ${what}`);
}

async function outputSeen(runId: string, text: string): Promise<void> {
  await until(`output "${text}"`, async () => (await allEvents(runId)).some((e) => e.type === 'step.output' && e.lines.some((l) => l.includes(text))));
}

/** Reads messages until one matches; returns all read. */
async function readUntil(sse: Awaited<ReturnType<typeof openSse>>, ok: (e: RunEvent) => boolean): Promise<SseMessage[]> {
  const got: SseMessage[] = [];
  for (;;) {
    const m = await sse.next();
    if (!m) throw new Error(`stream ended before the awaited event; got ${got.map((x) => x.data).join('\n')}`);
    got.push(m);
    if (m.event === 'message' && ok(eventOf(m))) return got;
  }
}

const isOutput = (text: string) => (e: RunEvent) => e.type === 'step.output' && e.lines.some((l) => l.includes(text));

describe('signed run pages', () => {
  it('serves a run page with escaped output, masked secrets, the graph, and a strict CSP', async () => {
    const { runId, g } = await startLive();
    await outputSeen(runId, 'window.pwned');
    const res = await fetch(front.base + front.link(runId));
    expect(res.status).toBe(200);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("default-src 'none'");
    expect(csp).not.toMatch(/script-src[^;]*unsafe-inline/);
    const body = await res.text();
    expect(body).toContain('first line');
    expect(body).toContain('&lt;script&gt;window.pwned=1&lt;/script&gt; &lt;b&gt;bold&lt;/b&gt; red');
    expect(body).not.toContain('<script>window');
    expect(body).not.toContain('sk-live-0123456789');
    expect(body).toContain('<th>api_key</th><td><code>***</code></td>');
    expect(body).toContain('<pre class="mermaid" id="graph">');
    expect(body).toContain('class s_first st_running');
    expect(body).toMatch(/data-after="\d+-\d+"/);
    g.open('one');
    g.open('two');
    await h.waitFor(runId);
  });

  it('refuses a tampered link, an expired one, and any link when no key is set', async () => {
    const { runId, g } = await startLive();
    g.open('one');
    g.open('two');
    const good = front.link(runId);
    const tampered = good.replace(/sig=(.)/, (_m, c: string) => `sig=${c === 'A' ? 'B' : 'A'}`);
    let res = await fetch(front.base + tampered);
    expect(res.status).toBe(403);
    expect(await res.text()).toContain('This link is not valid');
    const other = (await h.engine.startRun({ workflow: 'live', inputs: { gate: g.dir }, trigger: cli })).run.id;
    res = await fetch(front.base + good.replace(runId, other));
    expect(res.status).toBe(403);
    const old = new LinkSigner([WEB_KEY], () => Date.now() - DEFAULT_LINK_TTL_MS - 60_000).sign('run', runId);
    if (!old) throw new Error('no link');
    res = await fetch(`${front.base}/runs/${runId}?${linkQueryString(old)}`);
    expect(res.status).toBe(403);
    expect(await res.text()).toContain('This link has expired');
    for (const path of ['', '/events', '/transcript']) {
      res = await fetch(`${front.base}/runs/${runId}${path}?${linkQueryString(old)}`);
      expect(res.status).toBe(403);
    }
    res = await fetch(`${front.base}/runs/${runId}`);
    expect(res.status).toBe(403);
    const unknown = new LinkSigner([WEB_KEY]).sign('run', 'r-zzzzzz');
    if (!unknown) throw new Error('no link');
    res = await fetch(`${front.base}/runs/r-zzzzzz?${linkQueryString(unknown)}`);
    expect(res.status).toBe(404);

    const closed = await startWebFront(h, { keys: [] });
    try {
      res = await fetch(closed.base + good);
      expect(res.status).toBe(503);
      expect(await res.text()).toContain('CHATOPS_WEB_KEY');
    } finally {
      await closed.close();
    }
    await h.waitFor(runId);
  });

  it('offers the transcript as a download', async () => {
    const { runId, g } = await startLive();
    g.open('one');
    g.open('two');
    await h.waitFor(runId);
    const [path, query] = front.link(runId).split('?');
    const res = await fetch(`${front.base}${path}/transcript?${query}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-disposition')).toBe(`attachment; filename="run-${runId}.md"`);
    const text = await res.text();
    expect(text).toContain(`# Run ${runId} · live`);
    expect(text).toContain('api_key=***');
  });
});

describe('live event stream', () => {
  it('resumes from Last-Event-ID after a disconnect with no gap and no duplicate, and ends with the run', async () => {
    const { runId, g } = await startLive();
    const [path, query] = front.link(runId).split('?');
    const url = `${front.base}${path}/events?${query}`;

    const first = await openSse(`${url}&after=0`);
    expect(first.status).toBe(200);
    expect(first.contentType).toContain('text/event-stream');
    const before = await readUntil(first, isOutput('window.pwned'));
    first.close();
    const lastId = before[before.length - 1]?.id;
    expect(lastId).toMatch(/^\d+-\d+$/);

    // While nobody watches: the first step ends, the second starts and prints.
    g.open('one');
    await outputSeen(runId, 'second says hi');

    // The browser reconnects with Last-Event-ID (it wins over the page's `after`).
    const second = await openSse(`${url}&after=0`, { 'last-event-id': lastId ?? '' });
    const middle = await readUntil(second, isOutput('second says hi'));
    g.open('two');
    const rest = await readUntil(second, (e) => e.type === 'run.finished');
    expect(await second.next()).toBeUndefined();

    const seen = [...before, ...middle, ...rest].map((m) => m.id);
    const truth = (await allEvents(runId)).map((e) => e.id);
    expect(seen).toEqual(truth);
    expect(new Set(seen).size).toBe(seen.length);
    const finished = eventOf(rest[rest.length - 1] as SseMessage);
    expect(finished).toMatchObject({ type: 'run.finished', state: 'succeeded', outputs: { result: 'done' } });
  });

  it('serves many viewers of one run from one subscription, each getting every event once', async () => {
    const { runId, g } = await startLive();
    const [path, query] = front.link(runId).split('?');
    const url = `${front.base}${path}/events?${query}&after=0`;
    const viewers = await Promise.all([openSse(url), openSse(url), openSse(url)]);
    await until('three viewers', () => front.web.hub.viewers(runId) === 3);
    expect(front.web.hub.runsWatched()).toBe(1);
    g.open('one');
    g.open('two');
    const got = await Promise.all(viewers.map((v) => readUntil(v, (e) => e.type === 'run.finished')));
    const truth = (await allEvents(runId)).map((e) => e.id);
    for (const messages of got) expect(messages.map((m) => m.id)).toEqual(truth);
    await until('viewers gone', () => front.web.hub.viewers(runId) === 0);
    expect(front.web.hub.runsWatched()).toBe(0);
  });

  it('ends the stream of a finished run that has nothing more to send', async () => {
    const { runId, g } = await startLive();
    g.open('one');
    g.open('two');
    await h.waitFor(runId);
    const last = (await allEvents(runId)).at(-1)?.id ?? '0';
    const [path, query] = front.link(runId).split('?');
    const sse = await openSse(`${front.base}${path}/events?${query}&after=${last}`);
    const m = await sse.next();
    expect(m?.event).toBe('end');
    expect(await sse.next()).toBeUndefined();
  });
});

describe('the run list', () => {
  it('needs the token: bearer or the login form’s HttpOnly cookie; filters by state, workflow and channel', async () => {
    const { runId, g } = await startLive();
    g.open('one');
    g.open('two');
    await h.waitFor(runId);

    let res = await fetch(`${front.base}/runs`);
    expect(res.status).toBe(401);
    expect(await res.text()).toContain('<form method="post" action="/login">');

    res = await fetch(`${front.base}/runs`, { headers: { authorization: 'Bearer wrong' } });
    expect(res.status).toBe(401);
    res = await fetch(`${front.base}/runs?state=succeeded`, { headers: { authorization: `Bearer ${WEB_TOKEN}` } });
    expect(res.status).toBe(200);
    const list = await res.text();
    expect(list).toContain(`data-run="${runId}"`);
    expect(list).toMatch(new RegExp(`href="/runs/${runId}\\?exp=\\d+&amp;sig=[A-Za-z0-9_-]{43}"`));
    res = await fetch(`${front.base}/runs?state=failed`, { headers: { authorization: `Bearer ${WEB_TOKEN}` } });
    expect(await res.text()).not.toContain(`data-run="${runId}"`);
    // By channel: a run started in chat's #ops, not the terminal's.
    const inOps = (await h.engine.startRun({ workflow: 'long', inputs: {}, trigger: { kind: 'chat', source: 'shell', requester: 'shell:alice', channel: 'ops' } })).run.id;
    await h.engine.cancel(inOps, 'shell:alice');
    res = await fetch(`${front.base}/runs?channel=ops`, { headers: { authorization: `Bearer ${WEB_TOKEN}` } });
    const ops = await res.text();
    expect(ops).toContain(`data-run="${inOps}"`);
    expect(ops).not.toContain(`data-run="${runId}"`);

    const form = (token: string) => fetch(`${front.base}/login`, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ token, next: '/runs?workflow=live' }).toString() });
    res = await form('wrong');
    expect(res.status).toBe(401);
    expect(res.headers.get('set-cookie')).toBeNull();
    res = await form(WEB_TOKEN);
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/runs?workflow=live');
    const cookie = res.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Strict/i);
    expect(cookie).not.toContain(WEB_TOKEN);
    res = await fetch(`${front.base}/runs?workflow=live`, { headers: { cookie: cookie.split(';')[0] ?? '' } });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain(`data-run="${runId}"`);

    const noToken = await startWebFront(h, { token: undefined });
    try {
      res = await fetch(`${noToken.base}/runs`, { headers: { authorization: 'Bearer ' } });
      expect(res.status).toBe(401);
      expect(await res.text()).toContain('CHATOPS_WEB_TOKEN');
    } finally {
      await noToken.close();
    }
  });
});

describe('a step with more lines than a page shows', () => {
  it('shows the last 2,000 with a signed link to the whole output as text', async () => {
    const { run } = await h.engine.startRun({ workflow: 'long', inputs: {}, trigger: cli });
    await h.waitFor(run.id, ['succeeded'], 30_000);
    const page = await (await fetch(`${front.base}${front.link(run.id)}`)).text();
    const shown = [...page.matchAll(/long line (\d+)/g)].map((m) => Number(m[1]));
    expect(shown).toHaveLength(2000);
    expect(shown[0]).toBe(1001);
    expect(shown[shown.length - 1]).toBe(3000);
    expect(page).toContain('Showing the last 2,000 of 3,000 lines.');
    const href = /href="([^"]*\/steps\/print\/output\?[^"]*)"/.exec(page)?.[1]?.replace(/&amp;/g, '&') ?? '';
    const full = await fetch(`${front.base}${href}`);
    expect(full.status).toBe(200);
    expect(full.headers.get('content-type')).toContain('text/plain');
    const text = await full.text();
    expect(text.split('\n').filter(Boolean)).toHaveLength(3000);
    expect(text.startsWith('long line 1\n')).toBe(true);
    // The run's signature opens only this run's steps.
    expect((await fetch(`${front.base}${href.replace(run.id, 'r-zzzzzz')}`)).status).toBe(403);
    expect((await fetch(`${front.base}${href.replace(/sig=[^&]+/, 'sig=AAAA')}`)).status).toBe(403);
    expect((await fetch(`${front.base}${href.replace('/print/', '/nope/')}`)).status).toBe(404);
  }, 60_000);
});
