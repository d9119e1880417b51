import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { shown, slackFrontHarness, type SlackFrontHarness } from '../fakes/slack-front.js';
import type { FakeMessage } from '../fakes/slack-api.js';
import { SLACK_PROJECT } from './slack-project.js';

const RUN_ID = /r-[0-9a-z]{6}/;

describe('Slack adapter end to end (real Bolt app, fake Slack Web API)', () => {
  let h: SlackFrontHarness;

  beforeAll(async () => {
    h = await slackFrontHarness(SLACK_PROJECT, { fake: { rateLimit: { burst: 3, perSecond: 1 }, usergroups: { S0SRE: ['U0BOB'] } } });
  });
  afterAll(async () => {
    await h.close();
  });

  /** The run header (thread root) of `runId` once it shows a final state. */
  async function finalRoot(channel: string, runId: string, state = 'succeeded'): Promise<FakeMessage> {
    return h.fake.waitFor(() => h.fake.roots(channel).find((m) => m.text === `${m.text.split(' ')[0]} ${runId}: ${state}`), 20_000, `final header of ${runId}`);
  }

  it('slash command -> ephemeral ack "starting" -> header -> thread replies -> edits -> final status', async () => {
    const res = await h.sender.slash({ text: 'restart api on web-1', channel: 'C0FLOW', responseUrl: h.fake.responseUrl() });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ response_type: 'ephemeral' });
    const runId = RUN_ID.exec(JSON.stringify(res.body))?.[0] ?? '';
    expect(runId).not.toBe('');
    const root = await finalRoot('C0FLOW', runId);
    expect(root.history.length).toBeGreaterThan(1);
    expect(shown(root)).toContain('*Succeeded* in');
    expect(shown(root)).toContain('<@U0ALICE>');
    expect(shown(root)).toContain('*Pre-check*');
    const thread = h.fake.thread('C0FLOW', root.ts);
    const precheck = thread.find((m) => m.text.startsWith('Pre-check'));
    expect(shown(precheck)).toContain('checking api on web-1');
    const restart = await h.fake.waitFor(() => h.fake.thread('C0FLOW', root.ts).find((m) => m.text === 'restart: succeeded'), 5_000, `restart reply; thread: ${JSON.stringify(thread.map((m) => m.text))}`);
    expect(shown(restart)).toContain('restarted');
    const metrics = await (await fetch(`${h.base}/metrics`)).text();
    expect(metrics).toMatch(/chatops_slack_ack_seconds_count [1-9]/);
    // Every write of the run went through the Web API without a refusal.
    expect(h.fake.calls.filter((c) => c.params.channel === 'C0FLOW' && c.status === 200 && !c.ok)).toEqual([]);
  });

  it('answers a usage error in the ack and starts nothing', async () => {
    const before = h.fake.calls.length;
    const res = await h.sender.slash({ text: 'restart api', channel: 'C0USAGE', responseUrl: h.fake.responseUrl() });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ response_type: 'ephemeral' });
    expect(JSON.stringify(res.body)).toContain('restart {service} on {host}');
    await new Promise((r) => setTimeout(r, 300));
    expect(h.fake.calls.slice(before).filter((c) => c.method === 'chat.postMessage')).toEqual([]);
    expect(await h.front.engine.listRuns({ channel: 'C0USAGE' })).toEqual([]);
  });

  it('refuses a user policy does not allow, in the ack', async () => {
    const res = await h.sender.slash({ text: 'restart api on web-1', user: 'U0EVE', channel: 'C0DENY', responseUrl: h.fake.responseUrl() });
    expect(res.status).toBe(200);
    expect(JSON.stringify(res.body)).toContain('You may not run restart here');
    expect(await h.front.engine.listRuns({ channel: 'C0DENY' })).toEqual([]);
  });

  it('approval: refused clicks get an ephemeral reason and change nothing; an SRE group member approves', async () => {
    const res = await h.sender.slash({ text: 'deploy api', channel: 'C0APPR', responseUrl: h.fake.responseUrl() });
    const runId = RUN_ID.exec(JSON.stringify(res.body))?.[0] ?? '';
    const root = await h.fake.waitFor(() => h.fake.roots('C0APPR')[0], 10_000, 'deploy header');
    const approval = await h.fake.waitFor(
      () => h.fake.thread('C0APPR', root.ts).find((m) => (m.blocks ?? []).some((b) => (b as { type: string }).type === 'actions')),
      10_000,
      'approval message with buttons',
    );
    const click = (user: string) => h.sender.click({ actionId: `approve|${runId}|approve`, user, channel: 'C0APPR', messageTs: approval.ts, threadTs: root.ts, responseUrl: h.fake.responseUrl() });

    // The requester, then an on-call member without the sre role: refused, privately.
    for (const user of ['U0ALICE', 'U0CAROL']) {
      const posts = h.fake.responseUrlPosts.length;
      const r = await click(user);
      expect(r.status).toBe(200);
      const refusal = await h.fake.waitFor(() => h.fake.responseUrlPosts.slice(posts).find((p) => JSON.stringify(p.body).includes('not counted')), 5_000, `refusal for ${user}`);
      expect(refusal.body).toMatchObject({ response_type: 'ephemeral', replace_original: false });
    }
    expect((await h.front.engine.getRun(runId))?.state).toBe('waiting');
    expect(h.fake.message('C0APPR', approval.ts)?.blocks?.some((b) => (b as { type: string }).type === 'actions')).toBe(true);

    // Bob is in the S0SRE user group (usergroups.users.list): counted, the run resumes.
    await click('U0BOB');
    await finalRoot('C0APPR', runId);
    const decided = await h.fake.waitFor(() => {
      const m = h.fake.message('C0APPR', approval.ts);
      return m && shown(m).includes('*Approved* by <@U0BOB>') ? m : undefined;
    }, 10_000, 'approval message updated with the decision');
    expect(decided.blocks?.some((b) => (b as { type: string }).type === 'actions')).toBe(false);
    expect(h.fake.callsTo('usergroups.users.list').length).toBeGreaterThanOrEqual(1);
  });

  it('a mention starts a run like the slash command; in its thread `status` needs no run id', async () => {
    await h.sender.mention({ text: '<@UBOT> restart web on web-2', user: 'U0ALICE', channel: 'C0MENT' });
    const root = await h.fake.waitFor(() => h.fake.roots('C0MENT').find((m) => m.text.includes(': succeeded')), 20_000, 'mention run final');
    const runId = RUN_ID.exec(root.text)?.[0] ?? '';
    await h.sender.mention({ text: '<@UBOT> status', user: 'U0ALICE', channel: 'C0MENT', threadTs: root.ts });
    const status = await h.fake.waitFor(() => h.fake.messages.find((m) => m.channel === 'C0MENT' && m.ephemeralTo === 'U0ALICE' && m.threadTs === root.ts && m.text.includes(runId)), 5_000, 'status reply in thread');
    expect(status.text).toBe(`restart-service ${runId}: succeeded`);
  });

  it('answers url_verification and refuses bad signatures, stale or future timestamps, and malformed payloads', async () => {
    const challenge = await h.sender.send(JSON.stringify({ type: 'url_verification', challenge: 'abc123', token: 'x' }), { contentType: 'application/json' });
    expect(challenge).toMatchObject({ status: 200, body: { challenge: 'abc123' } });
    const sslCheck = await fetch(`${h.base}/slack/events`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'ssl_check=1&token=x' });
    expect(sslCheck.status).toBe(200);

    const before = h.fake.calls.length;
    const responsesBefore = h.fake.responseUrlPosts.length;
    const runsBefore = (await h.front.engine.listRuns({ channel: 'C0EVIL' })).length;
    const body = h.sender.slashBody({ text: 'restart api on web-1', channel: 'C0EVIL', responseUrl: h.fake.responseUrl() });
    const now = Math.floor(Date.now() / 1000);
    expect((await h.sender.send(body, { secret: 'wrong-secret' })).status).toBe(401);
    expect((await h.sender.send(body, { signature: 'v0=deadbeef' })).status).toBe(401);
    expect((await h.sender.send(body, { timestampSec: now - 301 })).body).toMatchObject({ error: 'stale_timestamp' });
    expect((await h.sender.send(body, { timestampSec: now + 600 })).status).toBe(401);
    expect((await h.sender.send('payload=%7Bnot-json', {})).status).toBe(400);
    expect((await h.sender.send('{"no":"type"}', { contentType: 'application/json' })).status).toBe(400);
    expect((await h.sender.send('hello', { contentType: 'text/plain' })).status).toBe(400);
    await new Promise((r) => setTimeout(r, 300));
    // Only this test's channel counts: an earlier test's run may still be editing its own thread.
    expect(h.fake.calls.slice(before).filter((c) => c.method.startsWith('chat.') && c.params.channel === 'C0EVIL')).toEqual([]);
    expect(h.fake.responseUrlPosts.slice(responsesBefore)).toEqual([]);
    expect((await h.front.engine.listRuns({ channel: 'C0EVIL' })).length).toBe(runsBefore);
  });

  it('puts long output in head and tail and uploads the full log as a file into the thread', async () => {
    const res = await h.sender.slash({ text: 'chatty lines=300', channel: 'C0LOG', responseUrl: h.fake.responseUrl() });
    const runId = RUN_ID.exec(JSON.stringify(res.body))?.[0] ?? '';
    const root = await finalRoot('C0LOG', runId);
    const file = await h.fake.waitFor(() => [...h.fake.files.values()].find((f) => f.threadTs === root.ts && f.content), 10_000, 'uploaded log');
    const text = file.content?.toString() ?? '';
    expect(text.split('\n')).toHaveLength(300);
    expect(text).toContain('output line 299 & <b>');
    const reply = await h.fake.waitFor(() => h.fake.thread('C0LOG', root.ts).find((m) => shown(m).includes('lines omitted')), 10_000, 'head and tail reply');
    expect(shown(reply)).toContain('output line 299 &amp; &lt;b&gt;');
  });
});
