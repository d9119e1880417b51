import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadProject } from '../../src/config/load-project.js';
import { startWorker, type WorkerHandle } from '../../src/engine/index.js';
import { silentLogger } from '../../src/lib/logger.js';
import { startFront, type Front } from '../../src/server/front.js';
import { FakeSlackApi } from '../fakes/slack-api.js';
import { SECRET_KEY } from '../fakes/slack-front.js';
import { testRedisUrl, uniquePrefix } from '../helpers/redis.js';
import { SLACK_PROJECT } from './slack-project.js';

describe('Slack adapter in Socket Mode (real Bolt SocketModeReceiver, fake Slack WebSocket)', () => {
  let fake: FakeSlackApi;
  let front: Front;
  let worker: WorkerHandle;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'chatops-socket-'));
    for (const [name, text] of Object.entries(SLACK_PROJECT)) {
      mkdirSync(join(dir, name, '..'), { recursive: true });
      writeFileSync(join(dir, name), text);
    }
    const project = await loadProject(dir);
    fake = await new FakeSlackApi().start();
    const prefix = uniquePrefix('slack-socket');
    front = await startFront({
      redisUrl: testRedisUrl(),
      prefix,
      project,
      log: silentLogger,
      port: 0,
      host: '127.0.0.1',
      slack: { botToken: fake.botToken, mode: 'socket', appToken: fake.appToken, apiUrl: fake.apiUrl, command: '/ops' },
      engine: { secretKey: SECRET_KEY },
      reporter: { pollMs: 100, blockMs: 100 },
    });
    worker = await startWorker({ redisUrl: testRedisUrl(), prefix, project, log: silentLogger, secretKey: SECRET_KEY, concurrency: 4 });
  });
  afterAll(async () => {
    await front.close();
    await worker.close();
    await fake.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const command = (text: string, channel: string) => ({
    token: 'x',
    team_id: 'T0FAKE',
    channel_id: channel,
    user_id: 'U0ALICE',
    user_name: 'alice',
    command: '/ops',
    text,
    api_app_id: 'A0FAKE',
    response_url: fake.responseUrl(),
    trigger_id: `${Date.now()}.${Math.random()}`,
  });

  it('connects out with the app token and acks a slash command over the socket, then runs it', async () => {
    await fake.waitFor(() => fake.socketMode.connected === 1, 10_000, 'a Socket Mode connection');
    expect(fake.callsTo('apps.connections.open')).toHaveLength(1);
    const ack = await fake.socketMode.send('slash_commands', command('restart api on web-1', 'C0SOCK'));
    expect(ack.payload).toMatchObject({ response_type: 'ephemeral' });
    const runId = /r-[0-9a-z]{6}/.exec(JSON.stringify(ack.payload))?.[0] ?? '';
    expect(runId).not.toBe('');
    await fake.waitFor(() => fake.roots('C0SOCK').find((m) => m.text === `restart-service ${runId}: succeeded`), 20_000, 'final header');
  });

  it('acks a usage error over the socket and starts nothing', async () => {
    const ack = await fake.socketMode.send('slash_commands', command('restart api', 'C0SOCK2'));
    expect(JSON.stringify(ack.payload)).toContain('restart {service} on {host}');
    expect(await front.engine.listRuns({ channel: 'C0SOCK2' })).toEqual([]);
  });
});
