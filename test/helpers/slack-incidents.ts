/**
 * The harness of the incident-thread tests: a test project, the fake Slack API, the real front
 * with its alert routes open (incidents to slack:C0ALERTS unless told otherwise), a real worker,
 * a signed Slack sender, and readers of an incident's timeline and thread, and of `chatops audit --json`.
 */
import type { Redis } from 'ioredis';
import type { AlertsFrontOptions } from '../../src/alerts/front.js';
import type { TimelineEntry } from '../../src/alerts/incident.js';
import { startWorker, type WorkerHandle } from '../../src/engine/index.js';
import { silentLogger } from '../../src/lib/logger.js';
import type { Front } from '../../src/server/front.js';
import { FakeSlackApi } from '../fakes/slack-api.js';
import { fakeSlackConfig, SlackSender } from '../fakes/slack-requests.js';
import { removeDir, startAlertsFront, writeProject } from './alerts-front.js';
import { runChatops } from './cli-child.js';
import { testRedis, testRedisUrl } from './redis.js';
import { until } from './until.js';

export interface SlackIncidents {
  dir: string;
  fake: FakeSlackApi;
  front: Front;
  worker: WorkerHandle;
  base: string;
  sender: SlackSender;
  redis: Redis;
  timeline(id: string): Promise<TimelineEntry[]>;
  /** The incident whose message is `ts` in C0ALERTS, once its thread is bound. */
  incidentOf(ts: string): Promise<string>;
  /** `chatops audit --json` run as a child on this project: its records (fails on stderr or a bad exit). */
  auditCli(): Promise<Record<string, string>[]>;
  close(): Promise<void>;
}

export async function startSlackIncidents(files: Record<string, string>, prefix: string, alerts: Partial<AlertsFrontOptions> = {}): Promise<SlackIncidents> {
  const { dir, project } = await writeProject(files);
  const redis = testRedis();
  const fake = await new FakeSlackApi().start();
  const { front, base } = await startAlertsFront({ redisUrl: testRedisUrl(), prefix, project, slack: fakeSlackConfig(fake), alerts: { defaultChannel: 'slack:C0ALERTS', ...alerts } });
  const worker = await startWorker({ redisUrl: testRedisUrl(), prefix, project, log: silentLogger, secretKey: 'alerts-tests-secret-key', concurrency: 2 });
  return {
    dir,
    fake,
    front,
    worker,
    base,
    redis,
    sender: new SlackSender(`${base}/slack/events`),
    timeline: async (id) => (await redis.lrange(`${prefix}:incident:${id}:timeline`, '0', '-1')).map((j) => JSON.parse(j) as TimelineEntry),
    incidentOf: (ts) => until('the incident of the message', async () => (await redis.get(`${prefix}:incident:thread:slack:C0ALERTS:${ts}`)) ?? undefined),
    async auditCli() {
      const cli = await runChatops(['audit', '--json'], { REDIS_URL: testRedisUrl(), CHATOPS_PREFIX: prefix, CHATOPS_DIR: dir, CHATOPS_SECRET_KEY: 'alerts-tests-secret-key', LOG_LEVEL: 'warn' });
      if (cli.code !== 0 || cli.stderr !== '') throw new Error(`chatops audit exited ${cli.code}: ${cli.stderr}`);
      return cli.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, string>);
    },
    async close() {
      await front.close();
      await worker.close();
      await fake.stop();
      await redis.quit();
      removeDir(dir);
    },
  };
}
