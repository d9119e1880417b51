import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DiscordPlatform } from '../../src/adapters/discord/discord-platform.js';
import { formatContent } from '../../src/adapters/discord/format/format.js';
import { createDiscordRest } from '../../src/adapters/discord/rest.js';
import type { RunView, StepOutputView } from '../../src/chat/render-model.js';
import { silentLogger } from '../../src/lib/logger.js';
import { FakeDiscordApi } from '../fakes/discord-api.js';
import { messageProblems } from '../fakes/discord-limits.js';

const CHANNEL = '520000000000000001';

describe('the fake Discord API enforces the limits', () => {
  let fake: FakeDiscordApi;
  beforeAll(async () => {
    fake = await new FakeDiscordApi({ rateLimit: { writes: 5, perMs: 5_000 }, globalPerSecond: 40 }).start();
  });
  afterAll(() => fake.stop());

  const post = (channel: string, body: unknown, token = fake.token) =>
    fetch(`${fake.apiUrl}/v10/channels/${channel}/messages`, { method: 'POST', headers: { authorization: `Bot ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });

  it('answers the sixth write to a channel within 5 s with 429, Retry-After and X-RateLimit headers', async () => {
    const statuses: number[] = [];
    let last: Response | undefined;
    for (let i = 0; i < 6; i++) {
      last = await post('520000000000000099', { content: `m${i}` });
      statuses.push(last.status);
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
    expect(Number(last?.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(last?.headers.get('x-ratelimit-remaining')).toBe('0');
    expect(last?.headers.get('x-ratelimit-limit')).toBe('5');
    expect(await last?.json()).toMatchObject({ global: false, retry_after: expect.any(Number) });
  });

  it('refuses content over 2,000 characters, oversized embeds, too many rows and long custom ids with 400 / 50035', async () => {
    expect(messageProblems({ content: 'x'.repeat(2001) })).toHaveLength(1);
    expect(messageProblems({ embeds: [{ description: 'x'.repeat(4097) }] })).toHaveLength(1);
    expect(messageProblems({ embeds: [{ description: 'x'.repeat(4000) }, { description: 'x'.repeat(2001) }] })).toHaveLength(1);
    expect(messageProblems({ components: Array.from({ length: 6 }, () => ({ components: [] })), content: 'x' })).toHaveLength(1);
    expect(messageProblems({ components: [{ components: [{ custom_id: 'x'.repeat(101) }] }] })).toHaveLength(1);
    const res = await post('520000000000000098', { content: 'x'.repeat(2001) });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ code: 50035 });
  });

  it('refuses a wrong bot token with 401', async () => {
    expect((await post('520000000000000097', { content: 'x' }, 'wrong')).status).toBe(401);
  });
});

describe('DiscordPlatform over the real REST client', () => {
  let fake: FakeDiscordApi;
  let platform: DiscordPlatform;
  beforeAll(async () => {
    fake = await new FakeDiscordApi().start();
    platform = new DiscordPlatform({ rest: createDiscordRest({ token: fake.token, apiUrl: fake.apiUrl }), applicationId: fake.applicationId, log: silentLogger });
  });
  afterAll(() => fake.stop());

  it('turns an exhausted channel bucket into an error carrying the wait, and does not retry it blindly', async () => {
    const notice = { kind: 'notice' as const, view: { runId: 'r-aaaaaa', stepId: 's', text: 'hello' } };
    for (let i = 0; i < 5; i++) await platform.postRoot(CHANNEL, notice);
    const sixth = await platform.postRoot(CHANNEL, notice).catch((err: unknown) => err);
    expect(sixth).toMatchObject({ code: 'DISCORD_RATE_LIMITED' });
    expect((sixth as { retryAfterMs: number }).retryAfterMs).toBeGreaterThan(0);
    // At most one write went out past the budget (the 429 itself), none retried.
    expect(fake.calls.filter((c) => c.path.endsWith(`/channels/${CHANNEL}/messages`)).length).toBeLessThanOrEqual(6);
  });

  it('a refused channel is a ChannelUnavailableError naming the permissions to grant', async () => {
    const refusing = await new FakeDiscordApi({ refused: ['520000000000000002'] }).start();
    const p = new DiscordPlatform({ rest: createDiscordRest({ token: refusing.token, apiUrl: refusing.apiUrl }), applicationId: refusing.applicationId, log: silentLogger });
    const err = await p.postRoot('520000000000000002', { kind: 'notice', view: { runId: 'r-aaaaaa', stepId: 's', text: 'x' } }).catch((e: unknown) => e);
    await refusing.stop();
    expect(err).toMatchObject({ code: 'E_CHANNEL_UNAVAILABLE', permanent: true });
    expect((err as { fix: string }).fix).toContain('Send Messages');
  });
});

describe('Discord formats stay within the message limits', () => {
  const line = (text: string) => ({ text, stream: 'stdout' as const });

  it('step output with huge lines fits 2,000 characters and cannot close its code block', () => {
    const view: StepOutputView = { runId: 'r-aaaaaa', stepId: 's', stepName: 'spew', state: 'succeeded', final: true, lines: Array.from({ length: 40 }, (_, i) => line(`${i} ${'x'.repeat(3000)} \`\`\``)), head: [line('first')], omitted: 500, totalLines: 541, truncated: true, fullLog: { filename: 'spew.log', text: '' }, exitCode: 0 };
    const msg = formatContent({ kind: 'step-output', view });
    expect(messageProblems(msg as unknown as Record<string, unknown>)).toEqual([]);
    expect((msg.content.match(/```/g) ?? []).length % 2).toBe(0);
  });

  it('a run of 400 steps with long names, inputs and outputs fits the embed limits, its status kept', () => {
    const steps = Array.from({ length: 400 }, (_, i) => ({ id: `s${i}`, name: `step ${i} ${'n'.repeat(150)}`, kind: 'run' as const, phase: 'main' as const, state: 'succeeded' as const, final: true, attempt: 1, durationMs: 10 }));
    const big = Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`key${i}${'k'.repeat(120)}`, 'v'.repeat(900)]));
    const view = { runId: 'r-aaaaaa', workflow: 'w', state: 'succeeded', final: true, trigger: { kind: 'chat', source: 'discord', requester: 'discord:200000000000000001' }, requester: 'discord:200000000000000001', inputs: big, createdAt: 0, durationMs: 1000, outputs: big, steps, now: 0 } as unknown as RunView;
    const msg = formatContent({ kind: 'run', view });
    expect(messageProblems(msg as unknown as Record<string, unknown>)).toEqual([]);
    expect(msg.embeds[0]?.description).toContain('**Succeeded**');
  });
});
