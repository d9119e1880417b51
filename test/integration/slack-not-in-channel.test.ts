import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { slackFrontHarness, waitReportDone, waitRunState, type SlackFrontHarness } from '../fakes/slack-front.js';
import { SLACK_PROJECT } from './slack-project.js';

const RUN_ID = /r-[0-9a-z]{6}/;

/**
 * A slash command in a channel the bot is not a member of (a private channel nobody invited it
 * to): Slack delivers the command and takes the ack, but chat.postMessage there answers
 * not_in_channel. The run must still end with its final status for the requester, privately.
 */
describe('Slack: a run in a channel the bot may not post in', () => {
  let h: SlackFrontHarness;

  beforeAll(async () => {
    h = await slackFrontHarness(SLACK_PROJECT, { fake: { botNotIn: ['C0PRIV', 'C0OLD'], usergroups: { S0SRE: ['U0BOB'] } } });
  });
  afterAll(async () => {
    await h.close();
  });

  function writesTo(channel: string): number {
    return h.fake.calls.filter((c) => c.method.startsWith('chat.') && c.params.channel === channel).length;
  }

  it('tells the requester privately (response_url) why and how to fix it, then the final status; no retry storm', async () => {
    const responseUrl = h.fake.responseUrl();
    const res = await h.sender.slash({ text: 'restart api on web-1', channel: 'C0PRIV', responseUrl });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ response_type: 'ephemeral' });
    const runId = RUN_ID.exec(JSON.stringify(res.body))?.[0] ?? '';
    expect(runId).not.toBe('');

    const notice = await h.fake.waitFor(() => h.fake.postsTo(responseUrl).find((p) => JSON.stringify(p.body).includes('cannot post in this channel')), 10_000, 'private notice');
    const noticeText = JSON.stringify(notice.body);
    expect(notice.body).toMatchObject({ response_type: 'ephemeral' });
    expect(noticeText).toContain('/invite @chatops');
    expect(noticeText).toContain(`/ops status ${runId}`);
    expect(noticeText).toContain('E_CHANNEL_UNAVAILABLE');

    const final = await h.fake.waitFor(() => h.fake.postsTo(responseUrl).find((p) => p.body.text === `restart-service ${runId}: succeeded`), 20_000, 'private final status');
    expect(final.body).toMatchObject({ response_type: 'ephemeral' });
    expect(final.at).toBeGreaterThanOrEqual(notice.at);

    // The reporter is done with the run (not retrying for 15 minutes).
    const done = await waitReportDone(h, runId);
    expect(done).toBe(true);
    // One refused header post; replies never went out without a root; nothing retried after.
    const posts = h.fake.callsTo('chat.postMessage').filter((c) => c.params.channel === 'C0PRIV');
    expect(posts.length).toBeGreaterThanOrEqual(1);
    expect(posts.length).toBeLessThanOrEqual(2);
    expect(posts.every((c) => c.error === 'not_in_channel')).toBe(true);
    const before = writesTo('C0PRIV');
    await new Promise((r) => setTimeout(r, 1_500));
    expect(writesTo('C0PRIV')).toBe(before);
    expect(h.fake.postsTo(responseUrl)).toHaveLength(2);
    expect(h.fake.callsTo('chat.postEphemeral').filter((c) => c.params.channel === 'C0PRIV')).toEqual([]);
  });

  it('falls back to a DM with the requester once the response_url no longer takes posts', async () => {
    const responseUrl = h.fake.responseUrl();
    h.fake.expireResponseUrl(responseUrl);
    const res = await h.sender.slash({ text: 'restart web on web-2', channel: 'C0OLD', responseUrl, user: 'U0CAROL' });
    const runId = RUN_ID.exec(JSON.stringify(res.body))?.[0] ?? '';
    expect(runId).not.toBe('');
    const notice = await h.fake.waitFor(() => h.fake.roots('U0CAROL').find((m) => JSON.stringify(m.blocks).includes(runId) && m.text.includes('cannot post')), 10_000, 'notice in DM');
    expect(JSON.stringify(notice.blocks)).toContain('/invite @chatops');
    await h.fake.waitFor(() => h.fake.roots('U0CAROL').find((m) => m.text === `restart-service ${runId}: succeeded`), 20_000, 'final status in DM');
    expect(await waitReportDone(h, runId)).toBe(true);
    expect(h.fake.postsTo(responseUrl)).toEqual([]);
  });

  it('without a response_url (a mention), private answers the channel refuses go to a DM', async () => {
    await h.sender.mention({ text: '<@UBOT> restart db on web-3', user: 'U0ALICE', channel: 'C0PRIV' });
    const notice = await h.fake.waitFor(() => h.fake.roots('U0ALICE').find((m) => m.text.includes('cannot post')), 10_000, 'notice in DM');
    const runId = RUN_ID.exec(notice.text)?.[0] ?? '';
    expect(runId).not.toBe('');
    await h.fake.waitFor(() => h.fake.roots('U0ALICE').find((m) => m.text === `restart-service ${runId}: succeeded`), 20_000, 'final status in DM');
    expect(await waitReportDone(h, runId)).toBe(true);
    // chat.postEphemeral was tried in the channel and refused, then the DM took over.
    expect(h.fake.callsTo('chat.postEphemeral').filter((c) => c.params.channel === 'C0PRIV').every((c) => c.error === 'not_in_channel')).toBe(true);
  });

  it('a run that needs an approval: the notice says how to approve by command; once approved, its final status follows', async () => {
    const responseUrl = h.fake.responseUrl();
    const res = await h.sender.slash({ text: 'deploy api', channel: 'C0PRIV', responseUrl });
    const runId = RUN_ID.exec(JSON.stringify(res.body))?.[0] ?? '';
    const notice = await h.fake.waitFor(() => h.fake.postsTo(responseUrl).find((p) => JSON.stringify(p.body).includes('cannot post')), 10_000, 'private notice');
    expect(JSON.stringify(notice.body)).toContain(`/ops approve ${runId}`);
    await waitRunState(h, runId, 'waiting');
    const approval = await h.sender.slash({ text: `approve ${runId}`, user: 'U0BOB', channel: 'C0PRIV', responseUrl: h.fake.responseUrl() });
    expect(approval.status).toBe(200);
    await h.fake.waitFor(() => h.fake.postsTo(responseUrl).find((p) => p.body.text === `deploy ${runId}: succeeded`), 20_000, 'private final status');
    expect(await waitReportDone(h, runId)).toBe(true);
  });
});
