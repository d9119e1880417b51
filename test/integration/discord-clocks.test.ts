import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { FakeDiscordApi } from '../fakes/discord-api.js';
import { discordFrontHarness, type DiscordFrontHarness } from '../fakes/discord-front.js';
import { ALICE, DISCORD_PROJECT } from './discord-project.js';

const RUN_ID = /r-[0-9a-z]{6}/;
const shown = FakeDiscordApi.shown;
const NO_THREADS = '510000000000000001';
const REFUSED = '510000000000000002';
/** Interaction tokens that die after 2 s here (15 minutes on Discord). */
const TOKEN_LIFETIME_MS = 2_000;

describe('Discord: channels without threads, channels that refuse the bot, tokens that expire mid-run', () => {
  let h: DiscordFrontHarness;

  beforeAll(async () => {
    h = await discordFrontHarness(DISCORD_PROJECT, { fake: { noThreads: [NO_THREADS], refused: [REFUSED], tokenLifetimeMs: TOKEN_LIFETIME_MS }, discord: { tokenLifetimeMs: TOKEN_LIFETIME_MS } });
  });
  afterAll(async () => {
    await h.close();
  });

  it('where no thread can be started, step output goes under the header in the same channel, as replies to it', async () => {
    const res = await h.sender.ops({ user: ALICE, channel: NO_THREADS }, 'restart api on web-1');
    expect(res.acked).toBe(true);
    const runId = RUN_ID.exec(JSON.stringify(res.body))?.[0] ?? '';
    const root = await h.fake.waitFor(() => h.fake.inChannel(NO_THREADS).find((m) => m.content.endsWith(`${runId}: succeeded`)), 30_000, 'final header');
    expect(h.fake.threads.has(root.id)).toBe(false);
    const out = await h.fake.waitFor(() => h.fake.inChannel(NO_THREADS).find((m) => m.content.includes('checking api on web-1')), 20_000, 'step output in the channel');
    expect(out.message_reference?.message_id).toBe(root.id);
  });

  it('a channel that refuses the bot: the requester hears privately, through the interaction token while it lives and by DM after it expired', async () => {
    const res = await h.sender.ops({ user: ALICE, channel: REFUSED }, 'drip');
    expect(res.acked).toBe(true);
    const runId = RUN_ID.exec(JSON.stringify(res.body))?.[0] ?? '';
    const interaction = res.interaction?.id;
    // First word while the token is valid: an ephemeral follow-up naming the fix.
    const early = await h.fake.waitFor(() => [...h.fake.messages.values()].find((m) => m.interactionId === interaction && m.flags === 64 && shown(m).includes('privately')), 20_000, 'private note through the token');
    expect(shown(early)).toContain('Send Messages');
    // The run takes ~3 s, longer than the token lives: its final status comes by DM, with the bot token.
    const dm = await h.fake.waitFor(() => h.fake.dms.get(ALICE), 30_000, 'a DM channel opened for the requester');
    await h.fake.waitFor(() => h.fake.inChannel(dm).find((m) => shown(m).includes(runId) && shown(m).includes('Succeeded')), 30_000, 'final status by DM');
    // Nothing public reached the channel; only the requester's ephemeral answers are there.
    expect(h.fake.inChannel(REFUSED).filter((m) => m.flags !== 64)).toEqual([]);
    // The expired token was not used past its life, and never with the bot token.
    expect(h.fake.calls.filter((c) => c.code === 50027)).toEqual([]);
    expect(h.fake.botAuthOnTokenRoutes).toEqual([]);
  });
});
