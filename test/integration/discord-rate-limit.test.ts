import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { until } from '../helpers/until.js';
import { discordFrontHarness, type DiscordFrontHarness } from '../fakes/discord-front.js';
import { ALICE, DISCORD_PROJECT } from './discord-project.js';
import { scrape, sumOf } from '../helpers/prom-text.js';

const RUN_ID = /r-[0-9a-z]{6}/;
const REFUSED = '560000000000000009';

describe('Discord: 429s waited out, refusals not retried blindly', () => {
  let h: DiscordFrontHarness;

  beforeAll(async () => {
    h = await discordFrontHarness(DISCORD_PROJECT, { fake: { refused: [REFUSED] } });
  });
  afterAll(async () => {
    await h.close();
  });

  /** The fake's answers to the bot's own writes (not interaction token routes), less `noiseLimited` 429s. */
  const adapterWrites = (noiseLimited: number) => {
    const writes = h.fake.calls.filter((c) => c.method !== 'GET' && !/^\/api\/v10\/(webhooks|interactions)\//.test(c.path));
    return { limited: writes.filter((c) => c.status === 429 && !c.global).length - noiseLimited, ok: writes.filter((c) => c.status < 300).length };
  };

  it('a run whose writes get 429s still ends with all its output and its final header', async () => {
    const channel = '560000000000000001';
    const res = await h.sender.ops({ user: ALICE, channel }, 'drip');
    const runId = RUN_ID.exec(JSON.stringify(res.body))?.[0] ?? '';
    // Another client with the same bot token (another replica, a script) spends the thread's budget
    // meanwhile: the adapter's writes there are answered 429 with retry_after.
    const thread = await h.fake.waitFor(() => h.fake.inChannel(channel).find((m) => m.content.includes(runId) && h.fake.threads.has(m.id))?.id, 20_000, 'the run thread');
    let noiseLimited = 0;
    for (let n = 0; n < 12; n++) {
      const noise = await fetch(`${h.fake.apiUrl}/v10/channels/${thread}/messages`, { method: 'POST', headers: { authorization: `Bot ${h.fake.token}`, 'content-type': 'application/json' }, body: JSON.stringify({ content: `noise ${n}` }) });
      if (noise.status === 429) noiseLimited++;
      await new Promise((r) => setTimeout(r, 250));
    }
    const root = await h.fake.waitFor(() => h.fake.inChannel(channel).find((m) => m.content.endsWith(`${runId}: succeeded`)), 60_000, 'final header');
    await h.fake.waitFor(() => h.fake.inChannel(root.id).find((m) => m.content.includes('tick 29') && m.content.startsWith('✅')), 60_000, 'the last output lines and the step finished in the thread');
    const limited = h.fake.rateLimited().filter((c) => !c.global).length - noiseLimited;
    expect(limited).toBeGreaterThan(0);
    // Waited out, not hammered: each 429 is followed by a wait of its retry_after, not a retry loop.
    expect(limited).toBeLessThan(10);
    expect(h.fake.invalidBodies).toEqual([]);
    // /metrics counts the run's chat writes for platform="discord": every 429 the fake answered the
    // bot's own writes (not the noise's), and the writes that went through. (A write may still be on
    // its way: the count is between the figures before and after the scrape.)
    const before = adapterWrites(noiseLimited);
    const metrics = [await scrape(h.base)];
    const after = adapterWrites(noiseLimited);
    const counted = (outcome: string) => sumOf(metrics, 'chatops_chat_writes_total', { platform: 'discord', outcome });
    expect(counted('rate_limited')).toBeGreaterThanOrEqual(before.limited);
    // No upper bound: the REST client (rejectOnRateLimit) also refuses a write itself when it knows
    // the channel's bucket is spent, which the fake never sees as a 429.
    void after.limited;
    expect(counted('ok')).toBeGreaterThan(1);
    expect(counted('ok')).toBeLessThanOrEqual(after.ok - (12 - noiseLimited));
  }, 90_000);

  it('a channel answering 403 is not written to again and again', async () => {
    const res = await h.sender.ops({ user: ALICE, channel: REFUSED }, 'restart api on web-1');
    const runId = RUN_ID.exec(JSON.stringify(res.body))?.[0] ?? '';
    await h.fake.waitFor(() => [...h.fake.messages.values()].find((m) => m.interactionId === res.interaction?.id && JSON.stringify(m.embeds).includes('Send Messages')), 20_000, 'the private note naming the permissions');
    await until('the run to finish', async () => (await h.front.engine.getRun(runId))?.state === 'succeeded');
    // Its end reached the requester privately too (the reporter's last write), with no new try in the channel.
    await h.fake.waitFor(() => [...h.fake.messages.values()].find((m) => m.interactionId === res.interaction?.id && JSON.stringify(m.embeds).includes('Succeeded')), 20_000, 'the final status, privately');
    const refusals = h.fake.calls.filter((c) => c.path.includes(`/channels/${REFUSED}/`) && c.status === 403);
    expect(refusals.length).toBeGreaterThan(0);
    expect(refusals.length).toBeLessThanOrEqual(3);
    // Counted as refused writes, one per 403 answer at most.
    const refused = sumOf([await scrape(h.base)], 'chatops_chat_writes_total', { platform: 'discord', outcome: 'refused' });
    expect(refused).toBeGreaterThan(0);
    expect(refused).toBeLessThanOrEqual(refusals.length);
  });
});
