import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { FakeDiscordApi } from '../fakes/discord-api.js';
import { discordFrontHarness, type DiscordFrontHarness } from '../fakes/discord-front.js';
import { ALICE, DISCORD_PROJECT } from './discord-project.js';

const RUN_ID = /r-[0-9a-z]{6}/;
const shown = FakeDiscordApi.shown;
const NO_THREADS = '510000000000000001';
const REFUSED = '510000000000000002';
const OLD_EDITS = '510000000000000003';
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

describe('Discord: edits of old messages refused (30046)', () => {
  let h: DiscordFrontHarness;

  beforeAll(async () => {
    // Messages "old" after 1 s here (an hour on Discord), and then refuse every edit.
    h = await discordFrontHarness(DISCORD_PROJECT, { fake: { oldMessages: { ageMs: 1_000, edits: 0 } } });
  });
  afterAll(async () => {
    await h.close();
  });

  it('a refused edit is posted as a new message, later edits go to it, and the run ends with one final status', async () => {
    const res = await h.sender.ops({ user: ALICE, channel: OLD_EDITS }, 'drip');
    expect(res.acked).toBe(true);
    const runId = RUN_ID.exec(JSON.stringify(res.body))?.[0] ?? '';
    const isFinal = (m: { content: string }) => m.content.endsWith(`${runId}: succeeded`);
    const final = await h.fake.waitFor(() => [...h.fake.messages.values()].find(isFinal), 30_000, 'the final status');
    // The header grew old and was refused: its state went on in its thread, as a new message.
    expect(h.fake.calls.filter((c) => c.code === 30046).length).toBeGreaterThan(0);
    const root = [...h.fake.messages.values()].find((m) => h.fake.threads.has(m.id) && shown(m).includes(runId));
    expect(root).toBeDefined();
    expect(final.id).not.toBe(root?.id);
    expect(final.channel_id).toBe(root?.id);
    // The output's last line reached the thread, and exactly one message carries the final status.
    await h.fake.waitFor(() => h.fake.inChannel(root?.id ?? '').find((m) => shown(m).includes('tick 29')), 10_000, 'the last output line');
    expect([...h.fake.messages.values()].filter(isFinal)).toHaveLength(1);
  });
});
