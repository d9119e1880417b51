import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { FakeDiscordApi } from '../fakes/discord-api.js';
import { discordFrontHarness, type DiscordFrontHarness } from '../fakes/discord-front.js';
import { ALICE, BOB, DISCORD_PROJECT, EVE, SRE_ROLE } from './discord-project.js';

const RUN_ID = /r-[0-9a-z]{6}/;
const shown = FakeDiscordApi.shown;
const EPHEMERAL = 64;

describe('Discord in Gateway mode (discord.js Client on a fake Gateway, answers through the callback route)', () => {
  let h: DiscordFrontHarness;

  beforeAll(async () => {
    // Heartbeats every 300 ms here (about 41 s on Discord), so a test sees them acknowledged.
    h = await discordFrontHarness(DISCORD_PROJECT, { gateway: true, fake: { gateway: { heartbeatMs: 300 } } });
  });
  afterAll(async () => {
    await h.close();
    // Stopping closed the Gateway connection.
    expect(h.fake.gateway.connected).toBe(0);
  });

  it('found the Gateway through GET /gateway/bot on DISCORD_API_URL, identified with the bot token and no intents, and heartbeats', async () => {
    expect(h.fake.calls.filter((c) => c.path === '/api/v10/gateway/bot').map((c) => [c.auth, c.status])).toEqual([[`Bot ${h.fake.token}`, 200]]);
    expect(h.fake.gateway.identifies).toBe(1);
    expect(h.fake.gateway.received.find((r) => r.op === 2)?.d).toMatchObject({ token: h.fake.token, intents: 0 });
    await h.fake.waitFor(() => h.fake.gateway.heartbeatAcks >= 2, 20_000, 'two heartbeats acknowledged');
  });

  it('/ops command:… -> callback ack in time -> header -> thread output -> final status', async () => {
    const channel = '520000000000000001';
    const res = await h.sender.ops({ user: ALICE, channel }, 'restart api on web-1');
    expect(res.acked).toBe(true);
    expect(res.body).toMatchObject({ type: 4, data: { flags: EPHEMERAL } });
    const runId = RUN_ID.exec(JSON.stringify(res.body))?.[0] ?? '';
    expect(runId).not.toBe('');
    const root = await h.fake.waitFor(() => h.fake.inChannel(channel).find((m) => m.content.endsWith(`${runId}: succeeded`)), 30_000, 'final header');
    expect(shown(root)).toContain('**Succeeded** in');
    await h.fake.waitFor(() => h.fake.inChannel(root.id).find((m) => m.content.includes('checking api on web-1')), 20_000, 'step output in the thread');
    // The callback and follow-ups went without the bot token.
    expect(h.fake.calls.some((c) => c.path.endsWith('/callback') && c.status === 204 && c.auth === undefined)).toBe(true);
    expect(h.fake.botAuthOnTokenRoutes).toEqual([]);
    expect(h.fake.invalidBodies).toEqual([]);
  });

  it('a usage error and a refusal are answered privately in the callback, nothing started', async () => {
    const channel = '520000000000000002';
    const usage = await h.sender.ops({ user: ALICE, channel }, 'restart api');
    expect(usage.acked).toBe(true);
    expect(JSON.stringify(usage.body)).toContain('restart {service} on {host}');
    const refused = await h.sender.ops({ user: EVE, channel }, 'restart api on web-1');
    expect(refused.body).toMatchObject({ type: 4, data: { flags: EPHEMERAL } });
    expect(JSON.stringify(refused.body)).toContain('You may not run restart here');
    expect(await h.front.engine.listRuns({ channel })).toEqual([]);
  });

  it('approval buttons clicked over the Gateway: deferred update, the decision recorded, the run finishes', async () => {
    const channel = '520000000000000003';
    const res = await h.sender.ops({ user: ALICE, channel }, 'deploy api');
    const runId = RUN_ID.exec(JSON.stringify(res.body))?.[0] ?? '';
    const root = await h.fake.waitFor(() => h.fake.inChannel(channel).find((m) => m.content.endsWith(`${runId}: waiting`)), 30_000, 'header waiting for approval');
    const approval = await h.fake.waitFor(() => h.fake.inChannel(root.id).find((m) => m.components.length > 0), 20_000, 'approval message');
    const click = await h.sender.click({ user: BOB, roles: [SRE_ROLE], channel: root.id, parent: channel }, `approve|${runId}|approve`, approval.id);
    expect(click.body).toMatchObject({ type: 6 });
    await h.fake.waitFor(() => h.fake.inChannel(channel).find((m) => m.content.endsWith(`${runId}: succeeded`)), 30_000, 'final header after approval');
  });

  it('a dropped connection is resumed (no new IDENTIFY), and interactions keep coming', async () => {
    h.fake.gateway.drop(4000);
    await h.fake.waitFor(() => h.fake.gateway.resumes >= 1 && h.fake.gateway.connected === 1, 20_000, 'the session resumed');
    expect(h.fake.gateway.identifies).toBe(1);
    const channel = '520000000000000004';
    const res = await h.sender.ops({ user: ALICE, channel }, 'restart api on web-1');
    expect(res.acked).toBe(true);
    const runId = RUN_ID.exec(JSON.stringify(res.body))?.[0] ?? '';
    await h.fake.waitFor(() => h.fake.inChannel(channel).find((m) => m.content.endsWith(`${runId}: succeeded`)), 30_000, 'final header after the resume');
  });
});
