/**
 * Test harness for the Discord adapter end to end: a project written to a temp dir, the fake
 * Discord API, the real front (`startFront`: HTTP server, router, reporters, the Discord adapter
 * in HTTP mode, or `gateway: true` in Gateway mode on the fake's Gateway) and a real worker, all
 * on a unique Redis prefix. Close it in afterAll.
 */
import { rmSync } from 'node:fs';
import { readDiscordConfig } from '../../src/adapters/discord/config.js';
import type { DiscordTuning } from '../../src/adapters/discord/discord-front.js';
import { startWorker, type WorkerHandle } from '../../src/engine/index.js';
import { createLogger, silentLogger } from '../../src/lib/logger.js';
import { startFront, type Front, type FrontOptions } from '../../src/server/front.js';
import { writeProject } from '../helpers/project-dir.js';
import { testRedisUrl, uniquePrefix } from '../helpers/redis.js';
import { FakeDiscordApi, type FakeDiscordOptions } from './discord-api.js';
import { DiscordSender } from './discord-requests.js';

export interface DiscordFrontHarness {
  fake: FakeDiscordApi;
  front: Front;
  worker: WorkerHandle;
  sender: DiscordSender;
  base: string;
  prefix: string;
  /** What the front was started with, for a second front (another replica) on the same fake and Redis. */
  frontOptions: FrontOptions;
  close(): Promise<void>;
}

export async function discordFrontHarness(files: Record<string, string>, opts: { fake?: FakeDiscordOptions; discord?: DiscordTuning; gateway?: boolean; alerts?: FrontOptions['alerts']; frontRedisUrl?: string } = {}): Promise<DiscordFrontHarness> {
  const { dir, project } = await writeProject(files, 'discord');
  const fake = await new FakeDiscordApi(opts.fake).start();
  const sender = new DiscordSender('', fake, opts.gateway ? 'gateway' : 'http');
  const prefix = uniquePrefix('discord');
  const redisUrl = testRedisUrl();
  const publicKey = opts.gateway ? undefined : sender.publicKeyHex;
  const discord = readDiscordConfig({ DISCORD_TOKEN: fake.token, DISCORD_APPLICATION_ID: fake.applicationId, DISCORD_PUBLIC_KEY: publicKey, DISCORD_API_URL: fake.apiUrl, DISCORD_GUILD_ID: undefined });
  const secretKey = 'discord-tests-secret-key';
  // TEST_LOG=debug shows the front's logs while debugging a test.
  const log = process.env.TEST_LOG ? createLogger(process.env.TEST_LOG) : silentLogger;
  // The front may reach Redis another way (a test's stalling proxy); the worker goes direct.
  const frontOptions: FrontOptions = { redisUrl: opts.frontRedisUrl ?? redisUrl, prefix, project, log, port: 0, host: '127.0.0.1', discord, discordOptions: opts.discord, engine: { secretKey }, reporter: { pollMs: 100, blockMs: 100 }, ...(opts.alerts ? { alerts: opts.alerts } : {}) };
  const front = await startFront(frontOptions);
  const worker = await startWorker({ redisUrl, prefix, project, log: silentLogger, secretKey, concurrency: 8 });
  const base = `http://127.0.0.1:${front.port}`;
  sender.url = `${base}/discord/interactions`;
  return {
    fake,
    front,
    worker,
    sender,
    base,
    prefix,
    frontOptions,
    async close() {
      await front.close();
      await worker.close();
      await fake.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
