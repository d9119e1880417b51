import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startFront } from '../../src/server/front.js';
import { discordFrontHarness, type DiscordFrontHarness } from '../fakes/discord-front.js';
import { ALICE, DISCORD_PROJECT } from './discord-project.js';

describe('Discord adapter across a restart of the front', () => {
  let h: DiscordFrontHarness;

  beforeAll(async () => {
    h = await discordFrontHarness(DISCORD_PROJECT);
  });
  afterAll(async () => {
    await h.close();
  });

  it('a second front finishes the run in the same header and thread after the first one stops mid-run', async () => {
    const channel = '570000000000000001';
    const res = await h.sender.ops({ user: ALICE, channel }, 'drip');
    const runId = /r-[0-9a-z]{6}/.exec(JSON.stringify(res.body))?.[0] ?? '';
    const root = await h.fake.waitFor(() => h.fake.inChannel(channel).find((m) => m.content.includes(runId)), 10_000, 'run header');
    await h.fake.waitFor(() => h.fake.inChannel(root.id).length > 0, 10_000, 'first output in the thread');
    // Stop the first front while the run is still going: the second must take over.
    expect((await h.front.engine.getRun(runId))?.state).toBe('running');
    await h.front.close();

    const second = await startFront(h.frontOptions);
    try {
      await h.fake.waitFor(() => h.fake.messages.get(root.id)?.content.endsWith(`${runId}: succeeded`), 30_000, 'final header edited by the second front');
      expect(h.fake.inChannel(channel).filter((m) => m.content.includes(runId))).toHaveLength(1);
      await h.fake.waitFor(() => h.fake.inChannel(root.id).find((m) => m.content.includes('tick 29') && m.content.startsWith('✅')), 20_000, 'the last lines in the same thread');
      // One output message for the step, whichever front wrote it.
      expect(h.fake.inChannel(root.id).filter((m) => m.content.includes('**drip**'))).toHaveLength(1);
      // The second front also takes interactions.
      h.sender.url = `http://127.0.0.1:${second.port}/discord/interactions`;
      expect((await h.sender.ops({ user: ALICE, channel }, 'help')).acked).toBe(true);
    } finally {
      await second.close();
    }
  }, 60_000);
});
