/**
 * Test harness for the Slack adapter end to end: a project written to a temp dir, the fake Slack
 * Web API, the real front (`startFront`: HTTP server, router, reporters, Bolt app) and a real
 * worker, all on a unique Redis prefix. Close it in afterAll/afterEach.
 */
import { rmSync } from 'node:fs';
import { startWorker, type WorkerHandle } from '../../src/engine/index.js';
import { silentLogger } from '../../src/lib/logger.js';
import { startFront, type Front } from '../../src/server/front.js';
import { writeProject } from '../helpers/project-dir.js';
import { testRedisUrl, uniquePrefix } from '../helpers/redis.js';
import { FakeSlackApi, type FakeSlackOptions } from './slack-api.js';
import { fakeSlackConfig, SlackSender } from './slack-requests.js';

export const SECRET_KEY = 'slack-tests-secret-key';

export interface SlackFrontHarness {
  fake: FakeSlackApi;
  front: Front;
  worker: WorkerHandle;
  sender: SlackSender;
  base: string;
  dir: string;
  /** Redis key prefix of this harness (a second front on it is another replica). */
  prefix: string;
  close(): Promise<void>;
}

export async function slackFrontHarness(files: Record<string, string>, opts: { fake?: FakeSlackOptions; concurrency?: number; minIntervalMs?: number; channelRetryMs?: number } = {}): Promise<SlackFrontHarness> {
  const { dir, project } = await writeProject(files, 'slack');
  const fake = await new FakeSlackApi(opts.fake).start();
  const prefix = uniquePrefix('slack');
  const redisUrl = testRedisUrl();
  const front = await startFront({
    redisUrl,
    prefix,
    project,
    log: silentLogger,
    port: 0,
    host: '127.0.0.1',
    slack: fakeSlackConfig(fake),
    engine: { secretKey: SECRET_KEY },
    reporter: { pollMs: 100, blockMs: 100, ...(opts.minIntervalMs !== undefined ? { minIntervalMs: opts.minIntervalMs } : {}), ...(opts.channelRetryMs !== undefined ? { channelRetryMs: opts.channelRetryMs } : {}) },
  });
  const worker = await startWorker({ redisUrl, prefix, project, log: silentLogger, secretKey: SECRET_KEY, concurrency: opts.concurrency ?? 8 });
  const base = `http://127.0.0.1:${front.port}`;
  return {
    fake,
    front,
    worker,
    sender: new SlackSender(`${base}/slack/events`),
    base,
    dir,
    prefix,
    async close() {
      await front.close();
      await worker.close();
      await fake.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Waits until the engine says the run is in `state`; throws after 10 s. */
export async function waitRunState(h: SlackFrontHarness, runId: string, state: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while ((await h.front.engine.getRun(runId))?.state !== state) {
    if (Date.now() > deadline) throw new Error(`${runId} never reached ${state}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Whether the reporters marked the run's messages final (done with it) within 10 s. */
export async function waitReportDone(h: SlackFrontHarness, runId: string): Promise<boolean> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const stored = await h.front.reporters.store.load(runId);
    if (stored?.done) return true;
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Text of a fake message's blocks and fallback, for assertions. */
export function shown(msg: { text: string; blocks?: unknown[] } | undefined): string {
  return msg ? `${msg.text}\n${JSON.stringify(msg.blocks ?? [])}` : '';
}
