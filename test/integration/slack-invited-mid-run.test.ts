import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { shown, slackFrontHarness, waitReportDone, waitRunState, type SlackFrontHarness } from '../fakes/slack-front.js';
import { SLACK_PROJECT } from './slack-project.js';

const RUN_ID = /r-[0-9a-z]{6}/;
const RETRY_MS = 500;

/**
 * A run started in a channel the bot is not in is reported privately; the requester follows the
 * notice's advice and invites the bot while the run waits for an approval. The reporter tries the
 * channel again now and then, so the run shows up there and ends there.
 */
describe('Slack: the bot is invited while a run is reported privately', () => {
  let h: SlackFrontHarness;

  beforeAll(async () => {
    h = await slackFrontHarness(SLACK_PROJECT, { fake: { botNotIn: ['C0LATE'], usergroups: { S0SRE: ['U0BOB'] } }, channelRetryMs: RETRY_MS });
  });
  afterAll(async () => {
    await h.close();
  });

  const refusedPosts = () => h.fake.callsTo('chat.postMessage').filter((c) => c.params.channel === 'C0LATE' && c.error === 'not_in_channel');

  it('the header appears in the channel with the current state, the run ends there, and the requester is told where it went', async () => {
    const responseUrl = h.fake.responseUrl();
    const res = await h.sender.slash({ text: 'deploy api', channel: 'C0LATE', responseUrl });
    const runId = RUN_ID.exec(JSON.stringify(res.body))?.[0] ?? '';
    expect(runId).not.toBe('');
    await h.fake.waitFor(() => h.fake.postsTo(responseUrl).find((p) => JSON.stringify(p.body).includes('cannot post in this channel')), 10_000, 'private notice');
    await waitRunState(h, runId, 'waiting');

    // Still not invited: the channel is tried again, seldom, and refused; nobody is told again.
    const waitedFrom = Date.now();
    await new Promise((r) => setTimeout(r, 2_500));
    const refused = refusedPosts().length;
    expect(refused).toBeGreaterThanOrEqual(2);
    expect(refused).toBeLessThanOrEqual(2 + Math.ceil((Date.now() - waitedFrom) / RETRY_MS));
    expect(h.fake.roots('C0LATE')).toEqual([]);
    expect(h.fake.postsTo(responseUrl)).toHaveLength(1);
    expect((await h.front.reporters.store.load(runId))?.state.unavailable).toBeDefined();

    h.fake.invite('C0LATE');
    const invitedAt = Date.now();
    const root = await h.fake.waitFor(() => h.fake.roots('C0LATE').find((m) => m.text.includes(runId)), 5_000, 'header in the channel');
    expect(Date.now() - invitedAt).toBeLessThan(RETRY_MS + 2_500);
    // The current state: waiting on its approval, the checklist with both steps.
    expect(root.text).toBe(`deploy ${runId}: waiting`);
    expect(shown(root)).toContain('approve');
    expect(shown(root)).toContain('ship');
    const approval = await h.fake.waitFor(
      () => h.fake.thread('C0LATE', root.ts).find((m) => (m.blocks ?? []).some((b) => (b as { type: string }).type === 'actions')),
      10_000,
      'approval message with buttons in the thread',
    );
    // Another replica taking over now would continue in the channel.
    const saved = await waitSaved(runId);
    expect(saved.unavailable).toBeUndefined();
    expect(saved.root?.id).toBe(root.ts);

    await h.sender.click({ actionId: `approve|${runId}|approve`, user: 'U0BOB', channel: 'C0LATE', messageTs: approval.ts, threadTs: root.ts, responseUrl: h.fake.responseUrl() });
    await h.fake.waitFor(() => h.fake.roots('C0LATE').find((m) => m.ts === root.ts && m.text === `deploy ${runId}: succeeded`), 20_000, 'final header in the channel');
    await h.fake.waitFor(() => h.fake.thread('C0LATE', root.ts).find((m) => shown(m).includes('shipped')), 10_000, 'step output in the thread');
    expect(await waitReportDone(h, runId)).toBe(true);
    expect(h.fake.roots('C0LATE')).toHaveLength(1);
    // Told twice: the notice, then that the run moved to the channel (where the rest of it was).
    const told = h.fake.postsTo(responseUrl);
    expect(told).toHaveLength(2);
    expect(JSON.stringify(told[1]?.body)).toContain('is now reported in the channel');
    // At most one more try was refused (one on its way while the bot was invited).
    expect(refusedPosts().length).toBeLessThanOrEqual(refused + 1);
  });

  async function waitSaved(runId: string) {
    const deadline = Date.now() + 5_000;
    for (;;) {
      const state = (await h.front.reporters.store.load(runId))?.state;
      if (state && !state.unavailable) return state;
      if (Date.now() > deadline) return state ?? { replies: {}, uploaded: [] };
      await new Promise((r) => setTimeout(r, 50));
    }
  }
});
