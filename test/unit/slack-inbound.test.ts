import { describe, expect, it } from '@jest/globals';
import { readSlackConfig, slackRequested } from '../../src/adapters/slack/config.js';
import { SlackConfigError } from '../../src/adapters/slack/errors.js';
import { clickToAction, slashToMessage, withThreadRun } from '../../src/adapters/slack/inbound.js';
import { parseSlackBody } from '../../src/adapters/slack/parse-body.js';
import { checkSlackSignature } from '../../src/adapters/slack/signature.js';
import { plainText } from '../../src/adapters/slack/slack-text.js';
import { policySlackGroups, UserGroupResolver } from '../../src/adapters/slack/usergroups.js';
import { silentLogger } from '../../src/lib/logger.js';
import { sign } from '../fakes/slack-requests.js';

const base = { SLACK_COMMAND: '/ops' } as const;

describe('Slack config', () => {
  it('selects HTTP with a signing secret and Socket Mode with an app token', () => {
    expect(readSlackConfig({ ...base, SLACK_BOT_TOKEN: 'xoxb-1', SLACK_SIGNING_SECRET: 's', SLACK_API_URL: 'http://x/api' })).toEqual({
      botToken: 'xoxb-1',
      mode: 'http',
      signingSecret: 's',
      appToken: undefined,
      apiUrl: 'http://x/api/',
      command: '/ops',
    });
    expect(readSlackConfig({ ...base, SLACK_BOT_TOKEN: 'xoxb-1', SLACK_APP_TOKEN: 'xapp-1' }).mode).toBe('socket');
    expect(slackRequested({ ...base })).toBe(false);
    expect(slackRequested({ ...base, SLACK_SIGNING_SECRET: 's' })).toBe(true);
  });

  it.each([
    [{}, 'SLACK_BOT_TOKEN'],
    [{ SLACK_BOT_TOKEN: 'xoxp-1', SLACK_SIGNING_SECRET: 's' }, 'SLACK_BOT_TOKEN'],
    [{ SLACK_BOT_TOKEN: 'xoxb-1' }, 'SLACK_SIGNING_SECRET'],
    [{ SLACK_BOT_TOKEN: 'xoxb-1', SLACK_APP_TOKEN: 'xoxb-2' }, 'SLACK_APP_TOKEN'],
  ])('names the variable at fault (%j)', (vars, variable) => {
    let caught: unknown;
    try {
      readSlackConfig({ ...base, ...vars });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(SlackConfigError);
    expect((caught as SlackConfigError).variable).toBe(variable);
    expect((caught as SlackConfigError).message).toContain(variable);
  });
});

describe('Slack signatures', () => {
  const secret = 'shh';
  const nowMs = 1_800_000_000_000;
  const ts = String(nowMs / 1000);
  const body = 'command=%2Fops&text=help';

  it('accepts a correct v0 signature within 5 minutes either way', () => {
    expect(checkSlackSignature({ signingSecret: secret, body, signature: sign(secret, Number(ts), body), timestamp: ts, nowMs })).toBeUndefined();
    const early = String(nowMs / 1000 - 299);
    expect(checkSlackSignature({ signingSecret: secret, body, signature: sign(secret, Number(early), body), timestamp: early, nowMs })).toBeUndefined();
  });

  it('refuses wrong signatures, tampered bodies, stale or future timestamps and missing headers', () => {
    expect(checkSlackSignature({ signingSecret: secret, body, signature: sign('other', Number(ts), body), timestamp: ts, nowMs })).toBe('invalid_signature');
    expect(checkSlackSignature({ signingSecret: secret, body: `${body}x`, signature: sign(secret, Number(ts), body), timestamp: ts, nowMs })).toBe('invalid_signature');
    for (const skew of [-301, 301]) {
      const t = String(nowMs / 1000 + skew);
      expect(checkSlackSignature({ signingSecret: secret, body, signature: sign(secret, Number(t), body), timestamp: t, nowMs })).toBe('stale_timestamp');
    }
    expect(checkSlackSignature({ signingSecret: secret, body, signature: undefined, timestamp: ts, nowMs })).toBe('missing_headers');
    expect(checkSlackSignature({ signingSecret: secret, body, signature: 'v0=x', timestamp: 'soon', nowMs })).toBe('missing_headers');
  });
});

describe('Slack request bodies', () => {
  it('parses slash commands, interaction payloads and events; refuses the rest', () => {
    expect(parseSlackBody('application/x-www-form-urlencoded', 'command=%2Fops&text=a+b')).toEqual({ ok: true, body: { command: '/ops', text: 'a b' }, sslCheck: false });
    expect(parseSlackBody('application/x-www-form-urlencoded; charset=utf-8', `payload=${encodeURIComponent('{"type":"block_actions"}')}`)).toMatchObject({ ok: true, body: { type: 'block_actions' } });
    expect(parseSlackBody('application/json', '{"type":"event_callback"}')).toMatchObject({ ok: true });
    expect(parseSlackBody('application/x-www-form-urlencoded', 'ssl_check=1&token=x')).toMatchObject({ ok: true, sslCheck: true });
    expect(parseSlackBody('application/json', '{oops')).toMatchObject({ ok: false });
    expect(parseSlackBody('application/json', '[1]')).toMatchObject({ ok: false });
    expect(parseSlackBody('application/x-www-form-urlencoded', 'text=no+command')).toMatchObject({ ok: false });
    expect(parseSlackBody('application/x-www-form-urlencoded', 'payload=%7B')).toMatchObject({ ok: false });
    expect(parseSlackBody(undefined, '{}')).toMatchObject({ ok: false });
  });
});

describe('Slack inbound translation', () => {
  it('undoes Slack markup: escapes and auto-links, keeping mentions', () => {
    expect(plainText('restart api on <http://web-1.example.com|web-1.example.com>')).toBe('restart api on web-1.example.com');
    expect(plainText('<@U1> deploy &lt;x&gt; &amp; <https://a.b/c>')).toBe('<@U1> deploy <x> & https://a.b/c');
    expect(plainText('notify <#C1|ops> <mailto:a@b.c|a@b.c>')).toBe('notify #ops a@b.c');
  });

  it('turns a slash command into a chat message keyed by its trigger id', () => {
    const msg = slashToMessage({ user_id: 'U1', channel_id: 'C1', text: 'restart api', trigger_id: '1.2', response_url: 'http://r' }, { identity: 'slack:U1', groups: [] });
    expect(msg).toEqual({ platform: 'slack', user: { identity: 'slack:U1', groups: [] }, channel: 'C1', text: 'restart api', messageId: '1.2', replyHandle: 'http://r' });
  });

  it('decodes Approve/Deny buttons and ignores other actions', () => {
    const user = { identity: 'slack:U2', groups: [] };
    expect(clickToAction({ actionId: 'approve|r-abc123|gate', userId: 'U2', channel: 'C1', messageTs: '1.1', threadTs: '1.0', responseUrl: 'http://r' }, user)).toEqual({
      platform: 'slack',
      action: 'approve',
      runId: 'r-abc123',
      stepId: 'gate',
      user,
      channel: 'C1',
      message: { platform: 'slack', channel: 'C1', id: '1.1', thread: '1.0' },
      replyHandle: 'http://r',
    });
    expect(clickToAction({ actionId: 'other', userId: 'U2', channel: 'C1' }, user)).toBeUndefined();
  });

  it('fills in the run id of the thread for bare status/cancel/transcript', async () => {
    const threads = { remember: async () => undefined, runOf: async (c: string, ts: string) => (c === 'C1' && ts === '9.9' ? 'r-abc123' : undefined) };
    expect(await withThreadRun('<@UBOT> status', 'C1', '9.9', threads, '/ops')).toBe('status r-abc123');
    expect(await withThreadRun('cancel', 'C1', '9.9', threads, '/ops')).toBe('cancel r-abc123');
    expect(await withThreadRun('status r-zzz999', 'C1', '9.9', threads, '/ops')).toBe('status r-zzz999');
    expect(await withThreadRun('restart api on web-1', 'C1', '9.9', threads, '/ops')).toBe('restart api on web-1');
    expect(await withThreadRun('status', 'C1', '1.1', threads, '/ops')).toBe('status');
    expect(await withThreadRun('status', 'C1', undefined, threads, '/ops')).toBe('status');
  });
});

describe('Slack user groups', () => {
  it('lists the groups policy names and caches memberships briefly; failures count as not a member', async () => {
    expect(policySlackGroups({ people: {}, roles: { sre: { members: ['slack-group:S1', 'slack:U1'] }, dba: { members: ['slack-group:S2', 'slack-group:S1'] } }, rules: [], approvals: [] })).toEqual(['S1', 'S2']);
    let calls = 0;
    let t = 0;
    const client = {
      usergroups: {
        users: {
          list: async ({ usergroup }: { usergroup: string }) => {
            calls++;
            if (usergroup === 'S2') throw new Error('missing_scope');
            return { ok: true, users: ['U1'] };
          },
        },
      },
    };
    // Only the method the resolver uses is provided: a typed stand-in for the Web API client.
    const resolver = new UserGroupResolver(client as unknown as ConstructorParameters<typeof UserGroupResolver>[0], ['S1', 'S2'], silentLogger, 1000, () => t);
    expect(await resolver.groupsOf('U1')).toEqual(['slack-group:S1']);
    expect(await resolver.groupsOf('U9')).toEqual([]);
    expect(calls).toBe(3); // S1 cached; S2 failed twice (failures are not cached)
    t = 1001;
    await resolver.groupsOf('U1');
    expect(calls).toBe(5);
  });
});
