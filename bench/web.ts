/**
 * The web pages' figures (`BENCH_ONLY=web`), on the bench's private Redis with an in-process
 * engine, worker and `chatops serve` web plugin:
 *   1. a run page holding one step's 100,000 output lines: the server's answer time and size, and,
 *      in Debian's Chromium (when installed), the time to the load event and the longest task
 *      that blocked the page's main thread while it loaded (what a person feels as a freeze);
 *   2. 100 live viewers of one run: the Redis stream readers they add (the event hub reads each
 *      run once per front and fans out in the process), and how late events reach the viewers.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { IncidentStore } from '../src/alerts/incident-store.js';
import { loadProject } from '../src/config/load-project.js';
import { createEngine, startWorker } from '../src/engine/index.js';
import type { RunRecord } from '../src/engine/types.js';
import { silentLogger } from '../src/lib/logger.js';
import { createHttpServer } from '../src/server/http-server.js';
import { mountWeb } from '../src/web/front.js';
import { runLink } from '../src/web/run-routes.js';
import { fmt, MB, percentile, type Row } from './stats.js';

const LINES = 100_000;
const VIEWERS = 100;
const WEB_KEY = 'bench-web-key-0123456789abcdefghijklmnopq';
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const FINAL = ['succeeded', 'failed', 'cancelled', 'timed_out'];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const WORKFLOWS: Record<string, string> = {
  'log-100k': `name: log-100k\nsteps:\n  - id: print\n    run: seq 1 ${LINES} | sed "s/^/output line /"\n`,
  drip: 'name: drip\nsteps:\n  - id: drip\n    run: for i in $(seq 1 150); do echo "drip $i"; sleep 0.05; done\n',
};

async function until<T>(what: string, fn: () => Promise<T | undefined>, ms: number): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`bench web: timed out waiting for ${what}`);
    await sleep(100);
  }
}

/** Redis clients blocked in a stream read (flag b, XREAD): what the event hub holds per front. */
async function streamReaders(redis: Redis): Promise<number> {
  const list = (await redis.client('LIST')) as string;
  return list.split('\n').filter((l) => / flags=\S*b/.test(l) && / cmd=xread( |$)/.test(l)).length;
}

/** Reads one viewer's event stream, noting for each event how long after its stream id (ms) it arrived. */
function viewer(url: string, lags: number[], signal: AbortSignal): Promise<void> {
  return fetch(url, { headers: { accept: 'text/event-stream' }, signal }).then(async (res) => {
    const reader = res.body?.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    for (;;) {
      const chunk = await reader?.read().catch(() => ({ done: true as const, value: undefined }));
      if (!chunk || chunk.done) return;
      buffer += decoder.decode(chunk.value, { stream: true });
      let i: number;
      while ((i = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, i);
        buffer = buffer.slice(i + 2);
        const id = /^id: (\d+)-\d+$/m.exec(block)?.[1];
        if (id) lags.push(Date.now() - Number(id));
      }
    }
  });
}

async function browserLoad(url: string): Promise<{ loadMs: number; longestTaskMs: number } | undefined> {
  if (!existsSync(CHROMIUM)) return undefined;
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
  try {
    const page = await browser.newPage();
    // Long tasks are observed from the first script on (an init script is not subject to the page's CSP).
    await page.addInitScript({
      content: `window.__longest = 0;
new PerformanceObserver((list) => { for (const e of list.getEntries()) window.__longest = Math.max(window.__longest, e.duration); }).observe({ type: 'longtask', buffered: true });`,
    });
    const t0 = Date.now();
    await page.goto(url, { waitUntil: 'load', timeout: 120_000 });
    const loadMs = Date.now() - t0;
    // Let the client script and the graph finish their first work before reading the longest task.
    await sleep(1000);
    const longestTaskMs = Number(await page.evaluate('window.__longest'));
    return { loadMs, longestTaskMs };
  } finally {
    await browser.close();
  }
}

export async function runWebBench(opts: { redisUrl: string; progress: (what: string) => void }): Promise<Row[]> {
  const dir = await mkdtemp(join(tmpdir(), 'chatops-bench-web-'));
  await mkdir(join(dir, 'workflows'));
  for (const [name, text] of Object.entries(WORKFLOWS)) await writeFile(join(dir, 'workflows', `${name}.yaml`), text);
  const project = await loadProject(dir);
  const prefix = `bench-web-${process.pid}`;
  const base = { redisUrl: opts.redisUrl, prefix, project, log: silentLogger, outputBudget: { stepBytes: 16 * MB, runBytes: 16 * MB } };
  const engine = createEngine(base);
  const worker = await startWorker({ ...base, concurrency: 2 });
  const redis = new Redis(opts.redisUrl);
  const server = createHttpServer({ log: silentLogger });
  const web = await mountWeb({ server, runs: engine, incidents: new IncidentStore(redis, prefix), log: silentLogger, web: { keys: [WEB_KEY] } });
  const port = await server.listen(0, '127.0.0.1');
  const origin = `http://127.0.0.1:${port}`;
  const rows: Row[] = [];
  const trigger = { kind: 'cli' as const, source: 'cli', requester: 'cli:bench' };
  const finished = (id: string) =>
    until(
      `run ${id} to end`,
      async () => {
        const r = await engine.getRun(id);
        return r && FINAL.includes(r.state) ? r : undefined;
      },
      180_000,
    );
  try {
    opts.progress(`web: a run page with ${LINES.toLocaleString('en-US')} output lines`);
    const started = await engine.startRun({ workflow: 'log-100k', inputs: {}, trigger });
    const run: RunRecord = await finished(started.run.id);
    const path = runLink(web.signer, run.id) ?? '';
    const t0 = performance.now();
    const res = await fetch(`${origin}${path}`);
    const body = await res.text();
    const serverMs = performance.now() - t0;
    const shown = (body.match(/output line /g) ?? []).length;
    rows.push({ metric: `run page, ${LINES.toLocaleString('en-US')} lines: server answer (size, lines on the page)`, value: `${fmt(serverMs, 0)} ms (${fmt(body.length / MB, 2)} MB, the last ${shown.toLocaleString('en-US')})`, pass: res.status === 200 && shown > 0 });
    const fullUrl = /href="([^"]*\/steps\/print\/output\?[^"]*)"/.exec(body)?.[1]?.replace(/&amp;/g, '&');
    const t1 = performance.now();
    const full = fullUrl ? await (await fetch(`${origin}${fullUrl}`)).text() : '';
    const fullMs = performance.now() - t1;
    const fullLines = (full.match(/output line /g) ?? []).length;
    rows.push({ metric: `run page, ${LINES.toLocaleString('en-US')} lines: full output as text (linked)`, value: `${fmt(fullMs, 0)} ms (${fullLines.toLocaleString('en-US')} lines)`, target: `all ${LINES.toLocaleString('en-US')} lines`, pass: fullLines === LINES });
    const browser = await browserLoad(`${origin}${path}`);

    opts.progress(`web: ${VIEWERS} live viewers of one run`);
    const before = await streamReaders(redis);
    const drip = await engine.startRun({ workflow: 'drip', inputs: {}, trigger });
    const lags: number[] = [];
    const ctl = new AbortController();
    const url = `${origin}${(runLink(web.signer, drip.run.id) ?? '').replace('?', '/events?')}`;
    const viewers = Array.from({ length: VIEWERS }, () => viewer(url, lags, ctl.signal).catch(() => undefined));
    // Sample the readers while the run streams (a viewer's own reads come and go with each event).
    let most = 0;
    for (;;) {
      most = Math.max(most, (await streamReaders(redis)) - before);
      const r = await engine.getRun(drip.run.id);
      if (!r || FINAL.includes(r.state)) break;
      await sleep(200);
    }
    await Promise.race([Promise.all(viewers), sleep(10_000)]);
    ctl.abort();
    rows.push({ metric: `${VIEWERS} live viewers of one run: Redis stream readers added`, value: String(most), target: '≤ 1 per front', pass: most <= 1 });
    // The same page of a 150-line run: what loading any run page costs (Mermaid's script is most of it).
    const small = await browserLoad(`${origin}${runLink(web.signer, drip.run.id) ?? ''}`);
    if (browser && small) {
      rows.push({ metric: 'run page, 150 lines: Chromium load / longest blocked task', value: `${fmt(small.loadMs, 0)} ms / ${fmt(small.longestTaskMs, 0)} ms` });
      rows.push({ metric: `run page, ${LINES.toLocaleString('en-US')} lines: Chromium load / longest blocked task`, value: `${fmt(browser.loadMs, 0)} ms / ${fmt(browser.longestTaskMs, 0)} ms`, target: 'longest task ≤ 150-line page + 250 ms', pass: browser.longestTaskMs <= small.longestTaskMs + 250 });
    } else rows.push({ metric: 'run page in Chromium', value: `not measured: no Chromium at ${CHROMIUM}` });
    rows.push({ metric: `${VIEWERS} live viewers: event to viewer p50 / p99 ms (${lags.length.toLocaleString('en-US')} deliveries)`, value: `${fmt(percentile(lags, 50), 0)} / ${fmt(percentile(lags, 99), 0)}` });
  } finally {
    await server.close().catch(() => undefined);
    await web.close().catch(() => undefined);
    await worker.close().catch(() => undefined);
    await engine.close().catch(() => undefined);
    redis.disconnect();
    await rm(dir, { recursive: true, force: true });
  }
  return rows;
}
