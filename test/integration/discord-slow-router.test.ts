import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { FakeDiscordApi } from '../fakes/discord-api.js';
import { discordFrontHarness, type DiscordFrontHarness } from '../fakes/discord-front.js';
import { scrape, sumOf } from '../helpers/prom-text.js';
import { testRedisUrl } from '../helpers/redis.js';
import { stallingProxy, type StallingProxy } from '../helpers/stalling-proxy.js';
import { ALICE, DISCORD_PROJECT } from './discord-project.js';

const RUN_ID = /r-[0-9a-z]{6}/;

describe('Discord: a command whose handling is slower than the 3 s deadline', () => {
  let proxy: StallingProxy;
  let h: DiscordFrontHarness;

  beforeAll(async () => {
    // The front reaches Redis through a proxy the test can stall; the worker goes direct.
    proxy = await stallingProxy(testRedisUrl());
    h = await discordFrontHarness(DISCORD_PROJECT, { frontRedisUrl: proxy.url });
  });
  afterAll(async () => {
    await h.close();
    await proxy.close();
  });

  it('is acked deferred ("thinking…") in time, and the answer replaces it when Redis answers', async () => {
    const channel = '560000000000000001';
    const res = await h.sender.ops({ user: ALICE, channel }, 'deploy api');
    const runId = RUN_ID.exec(JSON.stringify(res.body))?.[0] ?? '';
    expect(runId).not.toBe('');
    const root = await h.fake.waitFor(() => h.fake.inChannel(channel).find((m) => m.content.endsWith(`${runId}: waiting`)), 30_000, 'the header waiting');

    // `status` in the run's thread looks its run up in Redis first; Redis holds every command 2.8 s.
    proxy.stall(2_800);
    const status = await h.sender.ops({ user: ALICE, channel: root.id, parent: channel }, 'status');
    expect(status.acked).toBe(true);
    expect(status.body).toMatchObject({ type: 5 });
    const i = status.interaction;
    expect(i?.late).toBeFalsy();
    expect(i?.ackMs).toBeLessThan(3_000);

    const original = await h.fake.waitFor(() => {
      const m = i?.originalId ? h.fake.messages.get(i.originalId) : undefined;
      return m && !m.deferred ? m : undefined;
    }, 20_000, 'the deferred answer replaced');
    expect(FakeDiscordApi.shown(original)).toContain(runId);
    expect(FakeDiscordApi.shown(original)).toMatch(/waiting/i);
    expect(h.fake.calls.filter((c) => c.code === 10062)).toEqual([]);
    expect(h.fake.errors).toEqual([]);
  }, 60_000);
});

describe.each(['http', 'gateway'] as const)('Discord: a handler that has not answered at 2.5 s gets the safety answer (%s)', (via) => {
  let proxy: StallingProxy;
  let h: DiscordFrontHarness;

  beforeAll(async () => {
    proxy = await stallingProxy(testRedisUrl());
    // The command's own budget is out of the way (10 s): only the safety timer can answer in time.
    h = await discordFrontHarness(DISCORD_PROJECT, { frontRedisUrl: proxy.url, gateway: via === 'gateway', discord: { ackBudgetMs: 10_000 } });
  });
  afterAll(async () => {
    await h.close();
    await proxy.close();
  });

  it('is acked deferred before Discord gives up, counted as a late ack, and the answer replaces the deferred one', async () => {
    const channel = via === 'http' ? '560000000000000011' : '560000000000000012';
    const res = await h.sender.ops({ user: ALICE, channel }, 'deploy api');
    const runId = RUN_ID.exec(JSON.stringify(res.body))?.[0] ?? '';
    expect(runId).not.toBe('');
    const root = await h.fake.waitFor(() => h.fake.inChannel(channel).find((m) => m.content.endsWith(`${runId}: waiting`)), 30_000, 'the header waiting');

    // `status` in the run's thread reads Redis before it answers; Redis holds every command 4 s.
    proxy.stall(4_000);
    const status = await h.sender.ops({ user: ALICE, channel: root.id, parent: channel }, 'status');
    expect(status.acked).toBe(true);
    expect(status.body).toMatchObject({ type: 5, data: { flags: 64 } });
    expect(status.interaction?.late).toBeFalsy();

    const i = status.interaction;
    const original = await h.fake.waitFor(() => {
      const m = i?.originalId ? h.fake.messages.get(i.originalId) : undefined;
      return m && !m.deferred ? m : undefined;
    }, 20_000, 'the deferred answer replaced');
    expect(FakeDiscordApi.shown(original)).toContain(runId);
    expect(sumOf([await scrape(h.base)], 'chatops_discord_interactions_total', { outcome: 'late_ack' })).toBe(1);
    expect(h.fake.calls.filter((c) => c.code === 10062 || c.code === 40060)).toEqual([]);
    expect(h.fake.errors).toEqual([]);
  }, 60_000);
});
