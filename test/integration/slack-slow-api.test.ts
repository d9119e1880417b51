import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { slackFrontHarness, type SlackFrontHarness } from '../fakes/slack-front.js';
import { SLACK_PROJECT } from './slack-project.js';

describe('Slack adapter when Slack itself is slow', () => {
  let h: SlackFrontHarness;

  beforeAll(async () => {
    // Looking up the caller's user groups takes longer than the whole ack budget.
    h = await slackFrontHarness(SLACK_PROJECT, { fake: { usergroups: { S0SRE: ['U0BOB'] }, delays: { 'usergroups.users.list': 2_600 } } });
  });
  afterAll(async () => {
    await h.close();
  });

  it('acks within 3 s anyway ("working on it"), then answers through the response_url and runs', async () => {
    const responseUrl = h.fake.responseUrl();
    const res = await h.sender.slash({ text: 'restart api on web-1', channel: 'C0SLOW', responseUrl });
    expect(res.status).toBe(200);
    expect(res.ackMs).toBeLessThan(3_000);
    expect(res.body).toMatchObject({ response_type: 'ephemeral', text: ':hourglass_flowing_sand: Working on it…' });
    const id = responseUrl.split('/').pop();
    const answer = await h.fake.waitFor(() => h.fake.responseUrlPosts.find((p) => p.id === id), 10_000, 'the answer through the response_url');
    expect(answer.body).toMatchObject({ response_type: 'ephemeral', replace_original: false });
    const runId = /r-[0-9a-z]{6}/.exec(JSON.stringify(answer.body))?.[0] ?? '';
    await h.fake.waitFor(() => h.fake.roots('C0SLOW').find((m) => m.text === `restart-service ${runId}: succeeded`), 20_000, 'final header');
  }, 30_000);
});
