import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/main.js';
import { FakeDiscordApi } from '../fakes/discord-api.js';
import { DiscordSender } from '../fakes/discord-requests.js';
import { ServeEnv } from '../helpers/serve-env.js';
import { SLACK_PROJECT } from './slack-project.js';

const VARS = ['DISCORD_TOKEN', 'DISCORD_APPLICATION_ID', 'DISCORD_PUBLIC_KEY', 'DISCORD_API_URL', 'DISCORD_GUILD_ID', 'SLACK_BOT_TOKEN', 'SLACK_SIGNING_SECRET', 'SLACK_APP_TOKEN', 'REDIS_URL', 'CHATOPS_DIR', 'CHATOPS_PREFIX', 'PORT', 'LOG_LEVEL', 'CHATOPS_SECRET_KEY', 'CHATOPS_ALLOW_ALL'];

describe('chatops serve with Discord', () => {
  let fake: FakeDiscordApi;
  let dir: string;
  const sender = new DiscordSender('');
  const env = new ServeEnv(VARS);
  const setEnv = (vars: Record<string, string | undefined>) => env.set(dir, vars);

  beforeAll(async () => {
    fake = await new FakeDiscordApi().start();
    dir = mkdtempSync(join(tmpdir(), 'chatops-discord-serve-'));
    for (const [name, text] of Object.entries(SLACK_PROJECT)) {
      mkdirSync(join(dir, name, '..'), { recursive: true });
      writeFileSync(join(dir, name), text);
    }
  });
  afterAll(async () => {
    await fake.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  afterEach(() => env.restore());

  /** The port `serve` logged once listening. */
  const listening = () =>
    fake.waitFor(() => {
      const m = /"port":(\d+)[^\n]*chatops serve listening/.exec(env.stderr);
      return m ? Number(m[1]) : undefined;
    }, 30_000, 'the listening log line');
  const good = () => ({ DISCORD_TOKEN: fake.token, DISCORD_APPLICATION_ID: fake.applicationId, DISCORD_PUBLIC_KEY: sender.publicKeyHex, DISCORD_API_URL: fake.apiUrl });

  it.each([
    [{ DISCORD_TOKEN: undefined }, 'DISCORD_TOKEN_MISSING: DISCORD_TOKEN is not set'],
    [{ DISCORD_TOKEN: 'Bot abc' }, 'DISCORD_TOKEN_INVALID: DISCORD_TOKEN must be the bare bot token'],
    [{ DISCORD_TOKEN: 'not-the-right-token' }, 'DISCORD_TOKEN_INVALID: Discord refused DISCORD_TOKEN (401 Unauthorized)'],
    [{ DISCORD_APPLICATION_ID: undefined }, 'DISCORD_APPLICATION_ID_MISSING: DISCORD_APPLICATION_ID is not set'],
    [{ DISCORD_APPLICATION_ID: '100000000000000099' }, 'DISCORD_APPLICATION_ID_INVALID: DISCORD_APPLICATION_ID is 100000000000000099 but DISCORD_TOKEN belongs to application 100000000000000001'],
    [{ DISCORD_PUBLIC_KEY: 'abc' }, 'DISCORD_PUBLIC_KEY_INVALID: DISCORD_PUBLIC_KEY must be'],
    [{ DISCORD_API_URL: 'http://127.0.0.1:9/api' }, 'DISCORD_API_UNREACHABLE: Could not reach the Discord API at http://127.0.0.1:9/api'],
  ])('stops at start with one message naming the variable: %j gives %s', async (vars, expected) => {
    setEnv({ ...good(), ...vars });
    await main(['node', 'chatops', 'serve']);
    expect(process.exitCode).toBe(1);
    const lines = env.serveLines();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(expected);
    expect(env.stderr).not.toContain('chatops serve listening');
  });

  it('serves POST /discord/interactions once listening (PONG to a signed PING, 401 unsigned), and stops on SIGTERM', async () => {
    setEnv(good());
    const running = main(['node', 'chatops', 'serve']);
    const port = await listening();
    expect(env.stderr).toContain('"discord":"http"');
    sender.url = `http://127.0.0.1:${port}/discord/interactions`;
    const ping = JSON.stringify({ id: '1', application_id: fake.applicationId, type: 1, token: 'tok', version: 1 });
    expect(await sender.send(ping)).toEqual({ status: 200, body: { type: 1 } });
    expect((await sender.send(ping, { signature: null })).status).toBe(401);
    process.emit('SIGTERM');
    await running;
    expect(process.exitCode).toBe(0);
  });

  it('stops at start naming DISCORD_TOKEN when the Gateway refuses it (4004)', async () => {
    setEnv({ ...good(), DISCORD_PUBLIC_KEY: undefined });
    fake.gateway.refuseIdentify = true;
    try {
      await main(['node', 'chatops', 'serve']);
    } finally {
      fake.gateway.refuseIdentify = false;
    }
    expect(process.exitCode).toBe(1);
    const lines = env.serveLines();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain("DISCORD_GATEWAY_REFUSED: Discord's Gateway refused DISCORD_TOKEN");
  });

  it('without DISCORD_PUBLIC_KEY connects to the Gateway (no interactions route), and closes it on SIGTERM', async () => {
    setEnv({ ...good(), DISCORD_PUBLIC_KEY: undefined });
    const running = main(['node', 'chatops', 'serve']);
    const port = await listening();
    expect(env.stderr).toContain('"discord":"gateway"');
    expect(fake.gateway.connected).toBe(1);
    sender.url = `http://127.0.0.1:${port}/discord/interactions`;
    expect((await sender.send(JSON.stringify({ id: '1', application_id: fake.applicationId, type: 1, token: 'tok', version: 1 }))).status).toBe(404);
    process.emit('SIGTERM');
    await running;
    expect(process.exitCode).toBe(0);
    await fake.waitFor(() => fake.gateway.connected === 0, 10_000, 'the Gateway connection closed');
  });
});
