/**
 * The Slack adapter's figures, through the real front (`startFront`: fastify server, Bolt app,
 * router, reporters) against the fake Slack Web API of the tests, with an engine worker in its own
 * process on the bench's private Redis:
 *   1. ack latency of 200 correctly signed slash commands sent at 50 per second (target p99 ≤ 100 ms;
 *      Slack allows 3,000 ms), each run in its own channel and all of them finishing; beside it the
 *      front's event-loop delay, the machine's load average and the front's CPU per command;
 *   2. writes for a chatty step (10,000 lines in about 5 s): to the step's own message (target ≤
 *      its duration in seconds + 3) and in all for the run;
 *   3. the number of HTTP 429 answers Slack (the fake, with Slack's ~1 write/s per channel and a
 *      small burst) gave during all of it (target 0 in steady state).
 * Exported for bench/index.ts: `runSlackBench(opts)` returns table rows.
 */
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { loadProject } from '../src/config/load-project.js';
import { silentLogger } from '../src/lib/logger.js';
import { startFront, type Front } from '../src/server/front.js';
import { FakeSlackApi } from '../test/fakes/slack-api.js';
import { fakeSlackConfig, SlackSender } from '../test/fakes/slack-requests.js';
import { startChild, type BenchChild } from './child.js';
import { loadAverage, ownCpuMsPer } from './cpu.js';
import { forkIpc } from './ipc-child.js';
import { BENCH_SECRET_KEY } from './workflows.js';
import { fmt, percentile, type Row } from './stats.js';

export interface SlackBenchOptions {
  redisUrl: string;
  concurrency: number;
  scaled: (n: number) => number;
  progress: (what: string) => void;
}

const FILES: Record<string, string> = {
  'workflows/noop.yaml': 'name: noop\ndescription: One step that does no I/O.\nsteps:\n  - id: noop\n    sleep: 0ms\n',
  'workflows/chatty.yaml': [
    'name: chatty',
    'description: 10,000 lines in about 5 seconds.',
    'steps:',
    '  - id: spew',
    '    run: |',
    '      i=0',
    '      while [ $i -lt 50 ]; do seq 1 200; sleep 0.1; i=$((i+1)); done',
    '',
  ].join('\n'),
  'commands/noop.yaml': 'name: noop\nusage: noop\nworkflow: noop\n',
  'commands/chatty.yaml': 'name: chatty\nusage: chatty\nworkflow: chatty\n',
};

const ACK_TARGET_P99_MS = 100;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function runSlackBench(opts: SlackBenchOptions): Promise<Row[]> {
  const { redisUrl, concurrency, progress } = opts;
  const dir = await mkdtemp(join(tmpdir(), 'chatops-bench-slack-'));
  for (const [name, text] of Object.entries(FILES)) {
    await mkdir(join(dir, name, '..'), { recursive: true });
    await writeFile(join(dir, name), text);
  }
  const prefix = 'bench-slack';
  const project = await loadProject(dir);
  const fake = await new FakeSlackApi({ rateLimit: { burst: 3, perSecond: 1 } }).start();
  let worker: BenchChild | undefined;
  let front: Front | undefined;
  let sender: SenderChild | undefined;
  try {
    // startChild resolves once the worker process says it is ready.
    worker = await startChild(['engine', redisUrl, prefix, String(concurrency), dir]);
    front = await startFront({
      redisUrl,
      prefix,
      project,
      log: silentLogger,
      port: 0,
      host: '127.0.0.1',
      slack: fakeSlackConfig(fake),
      engine: { secretKey: BENCH_SECRET_KEY },
    });
    const rows: Row[] = [];

    // Slack's side of the burst runs in its own process (see slack-sender-child.ts).
    sender = await startSender();
    const burst = (count: number, intervalMs: number, channelPrefix: string) =>
      sender?.burst({ eventsUrl: `http://127.0.0.1:${front?.port ?? 0}/slack/events`, responseUrlBase: fake.responseUrl(), count, intervalMs, text: 'noop', channelPrefix }) ?? Promise.resolve([]);
    // Warm-up (not measured): a long-running front has its code paths compiled and connections open.
    await burst(20, 50, 'CWARM');

    // 1. Ack latency at 50 commands per second.
    const count = opts.scaled(200);
    progress(`Slack: ${count} signed slash commands at 50/s`);
    // The front's event-loop delay is part of every ack; it is reported beside them.
    const loop = monitorEventLoopDelay({ resolution: 5 });
    loop.enable();
    const connectionsBefore = await connectionsReceived(front);
    const [cpuBefore, loadBefore] = [process.cpuUsage(), loadAverage()];
    const results = await burst(count, 20, 'CBENCH');
    const [burstCpu, loadAfter] = [ownCpuMsPer(cpuBefore, count), loadAverage()];
    loop.disable();
    const acks = results.map((r) => ({ ackMs: r.ackMs, channel: r.channel, ok: r.status === 200 && r.body.includes('Starting') }));
    const latencies = acks.map((a) => a.ackMs);
    const p99 = percentile(latencies, 99);
    rows.push({
      metric: `Slack slash command ack, ${count} signed at 50/s, p50 / p99 / max ms`,
      value: `${fmt(percentile(latencies, 50))} / ${fmt(p99)} / ${fmt(Math.max(...latencies))}`,
      target: `p99 ≤ ${ACK_TARGET_P99_MS}`,
      pass: p99 <= ACK_TARGET_P99_MS && acks.every((a) => a.ok),
    });
    rows.push({ metric: 'front process event-loop delay during that burst, p99 / max ms', value: `${fmt(loop.percentile(99) / 1e6)} / ${fmt(loop.max / 1e6)}` });
    rows.push({ metric: 'machine load average (1 min) as that burst began / ended', value: `${fmt(loadBefore, 1)} / ${fmt(loadAfter, 1)}` });
    const finished = await waitUntil(() => acks.every((a) => fake.roots(a.channel).some((m) => m.text.endsWith(': succeeded'))), 120_000);
    const runsCpu = ownCpuMsPer(cpuBefore, count);
    rows.push({ metric: `Slack runs of that burst ending with their final message`, value: `${acks.filter((a) => fake.roots(a.channel).some((m) => m.text.endsWith(': succeeded'))).length} / ${count}`, target: 'all', pass: finished });
    // CPU rather than time: steadier on a busy machine. The fake Slack API shares this process.
    rows.push({ metric: 'front process CPU per command: during the burst / to its last final message, ms', value: `${fmt(burstCpu)} / ${fmt(runsCpu)}` });
    // Connection churn (one blocking read per reported run opens a connection each) shows here.
    rows.push({ metric: 'Redis connections opened (all processes) from that burst to its last final message', value: String((await connectionsReceived(front)) - connectionsBefore) });

    // 2. A chatty step's writes.
    progress('Slack: a step writing 10,000 lines in ~5 s');
    const before = fake.calls.length;
    const res = await new SlackSender(`http://127.0.0.1:${front.port}/slack/events`).slash({ text: 'chatty', channel: 'CCHATTY', responseUrl: fake.responseUrl() });
    const runId = /r-[0-9a-z]{6}/.exec(JSON.stringify(res.body))?.[0] ?? '';
    await waitUntil(() => fake.roots('CCHATTY').some((m) => m.text === `chatty ${runId}: succeeded`), 60_000);
    await sleep(1500); // the last reply edits land after the header's final write
    const root = fake.roots('CCHATTY')[0];
    const reply = root ? fake.thread('CCHATTY', root.ts).find((m) => m.text.startsWith('spew')) : undefined;
    const run = await front.engine.getRun(runId);
    const step = run?.steps.find((s) => s.id === 'spew');
    const durationS = step?.startedAt && step.endedAt ? (step.endedAt - step.startedAt) / 1000 : Number.NaN;
    const stepWrites = reply?.history.length ?? Number.NaN;
    const runWrites = fake.calls.slice(before).filter((c) => (c.params.channel ?? c.params.channel_id) === 'CCHATTY' && c.status === 200 && c.method !== 'chat.postEphemeral').length;
    rows.push({
      metric: `Slack writes to a chatty step's message (10,000 lines, step ${fmt(durationS, 1)} s)`,
      value: String(stepWrites),
      target: '≤ duration s + 3',
      pass: stepWrites <= durationS + 3,
    });
    rows.push({ metric: 'Slack writes for the chatty run, all messages (posts, edits, upload)', value: String(runWrites) });

    // 3. 429s over the whole Slack bench.
    rows.push({ metric: 'Slack HTTP 429 answers received during the Slack bench', value: String(fake.rateLimited), target: '0', pass: fake.rateLimited === 0 });
    return rows;
  } finally {
    sender?.stop();
    await front?.close();
    await worker?.stop();
    await fake.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

interface SenderChild {
  burst(args: { eventsUrl: string; responseUrlBase: string; count: number; intervalMs: number; text: string; channelPrefix: string }): Promise<{ channel: string; ackMs: number; status: number; body: string }[]>;
  stop(): void;
}

async function startSender(): Promise<SenderChild> {
  const child = forkIpc(new URL('./slack-sender-child.js', import.meta.url), 'Slack sender');
  await child.next('ready');
  const next = child.next;
  return {
    async burst(args) {
      const answer = next('burst');
      child.send({ cmd: 'burst', ...args });
      return (await answer).results as Awaited<ReturnType<SenderChild['burst']>>;
    },
    stop: child.stop,
  };
}

/** Redis's count of connections accepted since it started (INFO stats). */
async function connectionsReceived(front: Front): Promise<number> {
  const info = await front.redis.info('stats');
  return Number(/total_connections_received:(\d+)/.exec(info)?.[1] ?? Number.NaN);
}

async function waitUntil(ok: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (ok()) return true;
    await sleep(50);
  }
  return ok();
}
