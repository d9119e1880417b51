import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SlackConfigError } from '../../src/adapters/slack/errors.js';
import { loadProject } from '../../src/config/load-project.js';
import { silentLogger } from '../../src/lib/logger.js';
import { startFront } from '../../src/server/front.js';
import { FakeSlackApi } from '../fakes/slack-api.js';
import { testRedisUrl, uniquePrefix } from '../helpers/redis.js';

describe('Slack Socket Mode with a wrong app token', () => {
  let fake: FakeSlackApi;
  let dir: string;
  beforeAll(async () => {
    fake = await new FakeSlackApi().start();
    dir = mkdtempSync(join(tmpdir(), 'chatops-socket-bad-'));
  });
  afterAll(async () => {
    await fake.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('stops the front at start with an error naming SLACK_APP_TOKEN', async () => {
    const project = await loadProject(dir);
    const started = startFront({
      redisUrl: testRedisUrl(),
      prefix: uniquePrefix('slack-badapp'),
      project,
      log: silentLogger,
      port: 0,
      host: '127.0.0.1',
      slack: { botToken: fake.botToken, mode: 'socket', appToken: 'xapp-revoked', apiUrl: fake.apiUrl, command: '/ops' },
    });
    const err = await started.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(SlackConfigError);
    expect((err as SlackConfigError).variable).toBe('SLACK_APP_TOKEN');
    expect((err as Error).message).toContain('invalid_auth');
  });
});
