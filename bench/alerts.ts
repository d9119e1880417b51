/**
 * The alert intake's figures (`BENCH_ONLY=alerts`), through the real front (`startFront`: webhook
 * routes, consumer, incident reporter) with the fake Slack Web API of the tests (Slack's per-channel
 * write limit, 429 with Retry-After) and an in-process worker, on the bench's private Redis:
 *   1. from an Alertmanager delivery to the incident's first chat message and to its runbook's
 *      first step start, one new group every 6 seconds so the channel's write budget is not in the way, p50 / max;
 *   2. a storm: 500 alerts (each its own group) delivered at 100 per second into one channel: the
 *      webhook's answer time p50 / p99, every alert counted in Redis, chat writes within Slack's
 *      budget (0 × 429), and how long the chat side took to settle.
 */
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { readAlertSecrets } from '../src/alerts/auth.js';
import { loadProject } from '../src/config/load-project.js';
import { startWorker } from '../src/engine/index.js';
import { silentLogger } from '../src/lib/logger.js';
import { startFront } from '../src/server/front.js';
import { FakeSlackApi } from '../test/fakes/slack-api.js';
import { fakeSlackConfig } from '../test/fakes/slack-requests.js';
import { amPayload } from '../test/helpers/am-payload.js';
import { fmt, percentile, type Row } from './stats.js';

const TOKEN = 'bench-alert-token';
const LATENCY_SAMPLES = 8;
const STORM = 500;
const STORM_RATE = 100;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const FILES: Record<string, string> = {
  'workflows/diag.yaml': `name: diag
inputs:
  name: { type: string, required: true }
steps:
  - id: look
    sleep: 0ms
on:
  alert:
    matchers: ['alertname=~"BenchLatency.*"']
    inputs: { name: '\${{ alert.labels.alertname }}' }
`,
};

async function until<T>(what: string, fn: () => T | undefined | Promise<T | undefined>, ms: number, pollMs = 10): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`bench alerts: timed out waiting for ${what}`);
    await sleep(pollMs);
  }
}

export async function runAlertsBench(opts: { redisUrl: string; progress: (what: string) => void }): Promise<Row[]> {
  const dir = await mkdtemp(join(tmpdir(), 'chatops-bench-alerts-'));
  await mkdir(join(dir, 'workflows'));
  for (const [name, text] of Object.entries(FILES)) await writeFile(join(dir, name), text);
  const project = await loadProject(dir);
  const prefix = `bench-alerts-${process.pid}`;
  const fake = await new FakeSlackApi().start();
  const front = await startFront({
    redisUrl: opts.redisUrl,
    prefix,
    project,
    log: silentLogger,
    port: 0,
    host: '127.0.0.1',
    slack: fakeSlackConfig(fake),
    alerts: { secrets: readAlertSecrets({ ALERT_TOKEN: TOKEN }), defaultChannel: 'slack:C0ALERTS' },
  });
  const worker = await startWorker({ redisUrl: opts.redisUrl, prefix, project, log: silentLogger, concurrency: 4 });
  const redis = new Redis(opts.redisUrl);
  const url = `http://127.0.0.1:${front.port}/alerts/alertmanager`;
  const send = async (body: unknown): Promise<{ status: number; ms: number }> => {
    const t0 = performance.now();
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` }, body: JSON.stringify(body) });
    await res.arrayBuffer();
    return { status: res.status, ms: performance.now() - t0 };
  };
  const rows: Row[] = [];
  try {
    opts.progress(`alerts: delivery to first chat message and to runbook start, ${LATENCY_SAMPLES} groups`);
    const toMessage: number[] = [];
    const toStep: number[] = [];
    for (let i = 0; i < LATENCY_SAMPLES; i++) {
      const name = `BenchLatency${i}`;
      const sentAt = Date.now();
      const res = await send(amPayload(name, [{ fp: `lat${i}`, labels: { instance: `db-${i}:9100` } }]));
      if (res.status !== 202) throw new Error(`bench alerts: delivery answered ${res.status}`);
      const root = await until(`the message of ${name}`, () => fake.messages.find((m) => m.threadTs === undefined && m.text.includes(`Firing: ${name}`)), 30_000);
      toMessage.push((root.history[0]?.at ?? Date.now()) - sentAt);
      const started = await until(
        `the runbook of ${name} to start its step`,
        async () => {
          const runs = await front.engine.listRuns({ limit: 50 });
          return runs.find((r) => r.inputs.name === name && r.steps[0]?.startedAt !== undefined)?.steps[0]?.startedAt;
        },
        30_000,
        20,
      );
      toStep.push(started - sentAt);
      // Its thread (alerts joined, the run's header and output) drains at ~1 write/s before the next group.
      await sleep(6000);
    }
    rows.push({ metric: `alert delivery → incident's first chat message, p50 / max (${LATENCY_SAMPLES} groups)`, value: `${fmt(percentile(toMessage, 50), 0)} / ${fmt(Math.max(...toMessage), 0)} ms`, target: 'p50 ≤ 1,000 ms', pass: percentile(toMessage, 50) <= 1000 });
    rows.push({ metric: `alert delivery → runbook's first step start, p50 / max`, value: `${fmt(percentile(toStep, 50), 0)} / ${fmt(Math.max(...toStep), 0)} ms`, target: 'p50 ≤ 1,000 ms', pass: percentile(toStep, 50) <= 1000 });

    opts.progress(`alerts: a storm of ${STORM} alerts at ${STORM_RATE}/s into one channel`);
    const limitedBefore = fake.rateLimited;
    const answers: Promise<{ status: number; ms: number }>[] = [];
    const t0 = Date.now();
    for (let i = 0; i < STORM; i++) {
      const due = t0 + (i * 1000) / STORM_RATE;
      if (due > Date.now()) await sleep(due - Date.now());
      answers.push(send(amPayload(`BenchStorm${i}`, [{ fp: `storm${i}`, labels: { instance: `node-${i}:9100`, job: 'node' } }])));
    }
    const done = await Promise.all(answers);
    const accepted = done.filter((d) => d.status === 202).length;
    const ms = done.map((d) => d.ms);
    rows.push({ metric: `alert webhook answer at ${STORM_RATE} deliveries/s, p50 / p99 (${STORM} deliveries)`, value: `${fmt(percentile(ms, 50), 1)} / ${fmt(percentile(ms, 99), 1)} ms, ${accepted} × 202`, target: 'p99 ≤ 50 ms', pass: percentile(ms, 99) <= 50 && accepted === STORM });
    // Every storm alert must be held by an incident (its own, or the storm incident past the cap).
    const stormAlerts = async (): Promise<number> => {
      const ids = await redis.zrange(`${prefix}:incidents`, '0', '-1');
      const jsons = ids.length > 0 ? await redis.mget(ids.map((id) => `${prefix}:incident:${id}`)) : [];
      const seen = new Set<string>();
      for (const j of jsons) for (const fp of Object.keys((j ? (JSON.parse(j) as { alerts: Record<string, unknown> }) : { alerts: {} }).alerts)) if (fp.startsWith('storm')) seen.add(fp);
      return seen.size;
    };
    let counted = 0;
    await until(
      'every storm alert in an incident',
      async () => {
        counted = await stormAlerts();
        return counted >= STORM ? counted : undefined;
      },
      180_000,
      500,
    ).catch(() => undefined);
    const settled = await until('the chat side to settle', async () => ((await redis.zcard(`${prefix}:alerts:report`)) === 0 ? Date.now() : undefined), 300_000, 200);
    const incidents = await redis.zcard(`${prefix}:incidents`);
    rows.push({ metric: `storm of ${STORM} alerts: alerts held by incidents / incidents opened / Slack 429s`, value: `${counted} / ${incidents - LATENCY_SAMPLES} (the rest in one storm incident) / ${fake.rateLimited - limitedBefore}`, target: `${STORM} / … / 0`, pass: counted === STORM && fake.rateLimited === limitedBefore });
    rows.push({ metric: `storm of ${STORM} alerts: chat settled after (Slack ~1 write/s per channel)`, value: `${fmt((settled - t0) / 1000, 1)} s` });
  } finally {
    await worker.close().catch(() => undefined);
    await front.close().catch(() => undefined);
    await fake.stop().catch(() => undefined);
    redis.disconnect();
    await rm(dir, { recursive: true, force: true });
  }
  return rows;
}
