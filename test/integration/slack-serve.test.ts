import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/main.js';
import { FakeSlackApi } from '../fakes/slack-api.js';
import { TEST_SIGNING_SECRET } from '../fakes/slack-requests.js';
import { ServeEnv } from '../helpers/serve-env.js';
import { SLACK_PROJECT } from './slack-project.js';

const VARS = ['SLACK_BOT_TOKEN', 'SLACK_SIGNING_SECRET', 'SLACK_APP_TOKEN', 'SLACK_API_URL', 'REDIS_URL', 'CHATOPS_DIR', 'CHATOPS_PREFIX', 'PORT', 'LOG_LEVEL', 'CHATOPS_SECRET_KEY', 'CHATOPS_ALLOW_ALL'];

describe('chatops serve', () => {
  let fake: FakeSlackApi;
  let dir: string;
  const env = new ServeEnv(VARS);
  const setEnv = (vars: Record<string, string | undefined>) => env.set(dir, vars);

  beforeAll(async () => {
    fake = await new FakeSlackApi().start();
    dir = mkdtempSync(join(tmpdir(), 'chatops-serve-'));
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

  it.each([
    [{ SLACK_BOT_TOKEN: 'xoxb-not-the-right-one', SLACK_SIGNING_SECRET: 's' }, 'SLACK_TOKEN_INVALID: Slack refused SLACK_BOT_TOKEN (auth.test: invalid_auth)'],
    [{ SLACK_BOT_TOKEN: 'xoxp-user-token', SLACK_SIGNING_SECRET: 's' }, 'SLACK_TOKEN_INVALID: SLACK_BOT_TOKEN must be a bot token'],
    [{ SLACK_SIGNING_SECRET: 's' }, 'SLACK_TOKEN_MISSING: SLACK_BOT_TOKEN is not set'],
    [{ SLACK_BOT_TOKEN: 'xoxb-fake-bot-token' }, 'SLACK_SECRET_MISSING: SLACK_SIGNING_SECRET is not set'],
    [{ SLACK_BOT_TOKEN: 'xoxb-fake-bot-token', SLACK_APP_TOKEN: 'xoxb-wrong-kind' }, 'SLACK_APP_TOKEN_INVALID: SLACK_APP_TOKEN must be an app-level token'],
  ])('stops at start with one message naming the variable (%j)', async (vars, expected) => {
    setEnv({ ...vars, SLACK_API_URL: fake.apiUrl });
    await main(['node', 'chatops', 'serve']);
    expect(process.exitCode).toBe(1);
    const lines = env.serveLines();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(expected);
  });

  describe('with no policy file', () => {
    let open: string;
    beforeAll(() => {
      open = mkdtempSync(join(tmpdir(), 'chatops-serve-open-'));
      for (const [name, text] of Object.entries(SLACK_PROJECT)) {
        if (name === 'policy.yaml') continue;
        mkdirSync(join(open, name, '..'), { recursive: true });
        writeFileSync(join(open, name), text);
      }
    });
    afterAll(() => rmSync(open, { recursive: true, force: true }));

    it('refuses to start, naming the file and the way out', async () => {
      env.set(open, {});
      await main(['node', 'chatops', 'serve']);
      expect(process.exitCode).toBe(1);
      const lines = env.serveLines();
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain('E_NO_POLICY: no policy file');
      expect(lines[0]).toContain(join(open, 'policy.yaml'));
      expect(lines[0]).toContain('CHATOPS_ALLOW_ALL=1');
      expect(env.stderr).not.toContain('chatops serve listening');
    });

    it('starts when CHATOPS_ALLOW_ALL=1 says so on purpose, and says what that means', async () => {
      env.set(open, { CHATOPS_ALLOW_ALL: '1' });
      const running = main(['node', 'chatops', 'serve']);
      await fake.waitFor(() => (/chatops serve listening/.test(env.stderr) ? true : undefined), 10_000, 'the listening log line');
      expect(env.stderr).toContain('everyone may run every command');
      process.emit('SIGTERM');
      await running;
      expect(process.exitCode).toBe(0);
    });
  });

  it('serves /healthz once listening with Slack on, and stops cleanly on SIGTERM', async () => {
    setEnv({ SLACK_BOT_TOKEN: fake.botToken, SLACK_SIGNING_SECRET: TEST_SIGNING_SECRET, SLACK_API_URL: fake.apiUrl });
    const running = main(['node', 'chatops', 'serve']);
    const port = await fake.waitFor(() => {
      const m = /"port":(\d+)[^\n]*chatops serve listening/.exec(env.stderr);
      return m ? Number(m[1]) : undefined;
    }, 10_000, 'the listening log line');
    const health = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect(health.status).toBe(200);
    const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
    expect(ready.status).toBe(200);
    const unsigned = await fetch(`http://127.0.0.1:${port}/slack/events`, { method: 'POST', body: 'command=/ops&text=help' });
    expect(unsigned.status).toBe(401);
    process.emit('SIGTERM');
    await running;
    expect(process.exitCode).toBe(0);
    await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();
  });
});
