import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { FakeDiscordApi } from '../fakes/discord-api.js';
import { discordFrontHarness, type DiscordFrontHarness } from '../fakes/discord-front.js';
import { ALICE, DISCORD_PROJECT } from './discord-project.js';

const RUN_ID = /r-[0-9a-z]{6}/;
const shown = FakeDiscordApi.shown;

describe("Discord: status, cancel and transcript typed in a run's thread apply to that run", () => {
  let h: DiscordFrontHarness;

  beforeAll(async () => {
    h = await discordFrontHarness(DISCORD_PROJECT);
  });
  afterAll(async () => {
    await h.close();
  });

  /** Starts `text` in `channel`; its run id and header once it reads `state`. */
  async function started(channel: string, text: string, state: string) {
    const res = await h.sender.ops({ user: ALICE, channel }, text);
    const runId = RUN_ID.exec(JSON.stringify(res.body))?.[0] ?? '';
    expect(runId).not.toBe('');
    const root = await h.fake.waitFor(() => h.fake.inChannel(channel).find((m) => m.content.endsWith(`${runId}: ${state}`)), 30_000, `header of ${runId} reading ${state}`);
    return { runId, root };
  }

  /** What the bot answered interaction `id` with: its initial response, or a message answering it. */
  function answerTo(id: string | undefined, has: string) {
    return h.fake.waitFor(() => {
      const i = id ? h.fake.interactions.get(id) : undefined;
      const first = i?.originalId ? h.fake.messages.get(i.originalId) : undefined;
      const all = [first, ...[...h.fake.messages.values()].filter((m) => m.interactionId === id)];
      return all.find((m) => m && !m.deferred && (shown(m).includes(has) || m.attachments.some((a) => a.filename.includes(has))));
    }, 20_000, `an answer holding ${has}`);
  }

  it('status and cancel without a run id in the thread of a run waiting for approval', async () => {
    const channel = '550000000000000001';
    const { runId, root } = await started(channel, 'deploy api', 'waiting');
    const inThread = { user: ALICE, channel: root.id, parent: channel };
    const status = await h.sender.ops(inThread, 'status');
    expect(status.acked).toBe(true);
    const answer = await answerTo(status.interaction?.id, runId);
    expect(shown(answer)).toMatch(/waiting/i);

    const cancel = await h.sender.ops(inThread, 'cancel');
    expect(cancel.acked).toBe(true);
    await h.fake.waitFor(() => h.fake.messages.get(root.id)?.content.endsWith(`${runId}: cancelled`), 30_000, 'the header reading cancelled');
    expect((await h.front.engine.getRun(runId))?.state).toBe('cancelled');
  });

  it('transcript in the thread of a finished run with a long log: the whole Markdown as a file', async () => {
    const channel = '550000000000000002';
    const { runId, root } = await started(channel, 'wide', 'succeeded');
    const asked = await h.sender.ops({ user: ALICE, channel: root.id, parent: channel }, 'transcript');
    expect(asked.acked).toBe(true);
    const answer = await answerTo(asked.interaction?.id, `${runId}-transcript.md`);
    const file = answer.attachments.find((a) => a.filename === `${runId}-transcript.md`);
    expect(file?.text).toBe(await h.front.engine.transcript(runId));
    expect(h.fake.invalidBodies).toEqual([]);
  });
});
