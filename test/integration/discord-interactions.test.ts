import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadProject } from '../../src/config/load-project.js';
import { readDiscordConfig } from '../../src/adapters/discord/config.js';
import { silentLogger } from '../../src/lib/logger.js';
import { startFront, type Front } from '../../src/server/front.js';
import { FakeDiscordApi } from '../fakes/discord-api.js';
import { DiscordSender } from '../fakes/discord-requests.js';
import { testRedisUrl, uniquePrefix } from '../helpers/redis.js';

describe('POST /discord/interactions (real front, fake Discord API)', () => {
  let fake: FakeDiscordApi;
  let front: Front;
  let sender: DiscordSender;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'chatops-discord-'));
    fake = await new FakeDiscordApi().start();
    const base = new DiscordSender('');
    const config = readDiscordConfig({ DISCORD_TOKEN: fake.token, DISCORD_APPLICATION_ID: fake.applicationId, DISCORD_PUBLIC_KEY: base.publicKeyHex, DISCORD_API_URL: fake.apiUrl });
    front = await startFront({ redisUrl: testRedisUrl(), prefix: uniquePrefix('discord'), project: await loadProject(dir), log: silentLogger, port: 0, host: '127.0.0.1', discord: config });
    sender = base;
    sender.url = `http://127.0.0.1:${front.port}/discord/interactions`;
  });
  afterAll(async () => {
    await front.close();
    await fake.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const ping = JSON.stringify({ id: '1', application_id: '100000000000000001', type: 1, token: 'tok', version: 1 });

  it('checked the bot token and application id against the API at start', () => {
    expect(fake.calls.map((c) => `${c.method} ${c.path} ${c.status}`)).toEqual(['GET /api/v10/users/@me 200', 'GET /api/v10/applications/@me 200']);
    expect(front.discord?.botUserId).toBe(fake.botUserId);
  });

  it('answers a signed PING with PONG', async () => {
    expect(await sender.send(ping)).toEqual({ status: 200, body: { type: 1 } });
  });

  it('refuses missing, forged and stale signatures with 401 before parsing', async () => {
    expect((await sender.send(ping, { signature: null })).status).toBe(401);
    expect((await sender.send(ping, { otherKey: true })).body).toEqual({ error: 'invalid_signature' });
    expect((await sender.send(ping, { signature: 'zz' })).status).toBe(401);
    const now = Math.floor(Date.now() / 1000);
    expect((await sender.send(ping, { timestampSec: now - 301 })).body).toEqual({ error: 'stale_timestamp' });
    expect((await sender.send(ping, { timestampSec: now + 400 })).status).toBe(401);
    expect((await sender.send('not json at all', { signature: 'ab'.repeat(64) })).status).toBe(401);
  });

  it('answers a signed malformed body with 400', async () => {
    expect((await sender.send('{not json')).status).toBe(400);
    expect((await sender.send(JSON.stringify({ type: 99, id: '1', token: 't', application_id: '1' }))).status).toBe(400);
    expect((await sender.send(JSON.stringify({ type: 2, id: '1', token: 't', application_id: '1' }))).body).toMatchObject({ error: 'malformed_interaction', reason: 'data missing' });
  });
});
