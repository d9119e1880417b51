/**
 * Plays Slack's side of incoming requests in tests: builds slash command, interaction and event
 * bodies as Slack sends them, signs them (v0 HMAC with the signing secret and a timestamp), posts
 * them to POST /slack/events and measures how long the ack took.
 */
import { createHmac, randomBytes } from 'node:crypto';
import type { SlackConfig } from '../../src/adapters/slack/config.js';

export const TEST_SIGNING_SECRET = 'test-signing-secret-0123456789abcdef';

/** The Slack settings that point a front (HTTP mode, `/ops`) at a fake Web API signed with TEST_SIGNING_SECRET. */
export function fakeSlackConfig(fake: { botToken: string; apiUrl: string }): SlackConfig {
  return { botToken: fake.botToken, mode: 'http', signingSecret: TEST_SIGNING_SECRET, apiUrl: fake.apiUrl, command: '/ops' };
}

export function sign(secret: string, timestampSec: number, body: string): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${timestampSec}:${body}`).digest('hex')}`;
}

export interface SentRequest {
  status: number;
  body: unknown;
  text: string;
  ackMs: number;
}

export interface SendOptions {
  secret?: string;
  /** Seconds since the epoch put in the timestamp header; default now. */
  timestampSec?: number;
  /** Overrides the computed signature. */
  signature?: string;
  contentType?: string;
}

export class SlackSender {
  private seq = 0;
  constructor(
    private readonly eventsUrl: string,
    private readonly secret = TEST_SIGNING_SECRET,
  ) {}

  async send(rawBody: string, opts: SendOptions = {}): Promise<SentRequest> {
    const ts = opts.timestampSec ?? Math.floor(Date.now() / 1000);
    const headers: Record<string, string> = {
      'content-type': opts.contentType ?? 'application/x-www-form-urlencoded',
      'x-slack-request-timestamp': String(ts),
      'x-slack-signature': opts.signature ?? sign(opts.secret ?? this.secret, ts, rawBody),
    };
    const t0 = performance.now();
    const res = await fetch(this.eventsUrl, { method: 'POST', headers, body: rawBody });
    const text = await res.text();
    const ackMs = performance.now() - t0;
    let body: unknown = text;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      // plain text answer
    }
    return { status: res.status, body, text, ackMs };
  }

  slashBody(args: { text: string; user?: string; channel?: string; command?: string; responseUrl: string; userName?: string }): string {
    return new URLSearchParams({
      token: 'deprecated-verification-token',
      team_id: 'T0FAKE',
      team_domain: 'fake',
      channel_id: args.channel ?? 'C0OPS',
      channel_name: 'ops',
      user_id: args.user ?? 'U0ALICE',
      user_name: args.userName ?? 'alice',
      command: args.command ?? '/ops',
      text: args.text,
      api_app_id: 'A0FAKE',
      is_enterprise_install: 'false',
      response_url: args.responseUrl,
      trigger_id: `${++this.seq}.${randomBytes(6).toString('hex')}`,
    }).toString();
  }

  slash(args: Parameters<SlackSender['slashBody']>[0], opts?: SendOptions): Promise<SentRequest> {
    return this.send(this.slashBody(args), opts);
  }

  /** A block_actions interaction: a button clicked on a message. */
  click(args: { actionId: string; user: string; channel: string; messageTs: string; threadTs?: string; responseUrl: string }, opts?: SendOptions): Promise<SentRequest> {
    const payload = {
      type: 'block_actions',
      team: { id: 'T0FAKE', domain: 'fake' },
      user: { id: args.user, username: args.user.toLowerCase(), name: args.user.toLowerCase(), team_id: 'T0FAKE' },
      api_app_id: 'A0FAKE',
      token: 'deprecated-verification-token',
      container: { type: 'message', message_ts: args.messageTs, channel_id: args.channel, is_ephemeral: false },
      trigger_id: `${++this.seq}.${randomBytes(6).toString('hex')}`,
      channel: { id: args.channel, name: 'ops' },
      message: { type: 'message', ts: args.messageTs, thread_ts: args.threadTs, text: 'approval', user: 'UBOT' },
      response_url: args.responseUrl,
      actions: [{ type: 'button', action_id: args.actionId, block_id: 'approval', value: args.actionId, text: { type: 'plain_text', text: 'Approve' }, action_ts: String(Date.now() / 1000) }],
    };
    return this.send(new URLSearchParams({ payload: JSON.stringify(payload) }).toString(), opts);
  }

  /** An Events API app_mention. */
  mention(args: { text: string; user: string; channel: string; ts?: string; threadTs?: string }, opts?: SendOptions): Promise<SentRequest> {
    const ts = args.ts ?? `${Math.floor(Date.now() / 1000)}.${String(++this.seq).padStart(6, '0')}`;
    const body = {
      token: 'deprecated-verification-token',
      team_id: 'T0FAKE',
      api_app_id: 'A0FAKE',
      type: 'event_callback',
      event_id: `Ev${++this.seq}`,
      event_time: Math.floor(Date.now() / 1000),
      authorizations: [{ team_id: 'T0FAKE', user_id: 'UBOT', is_bot: true }],
      event: { type: 'app_mention', user: args.user, text: args.text, ts, channel: args.channel, event_ts: ts, ...(args.threadTs ? { thread_ts: args.threadTs } : {}) },
    };
    return this.send(JSON.stringify(body), { contentType: 'application/json', ...opts });
  }
}
