import { webApi } from '@slack/bolt';
import { FakeSlackApi } from '../fakes/slack-api.js';

const { WebClient, WebClientEvent } = webApi;

describe('fake Slack Web API (through the real WebClient)', () => {
  let fake: FakeSlackApi;
  let client: InstanceType<typeof WebClient>;

  beforeEach(async () => {
    fake = await new FakeSlackApi({ usergroups: { S0SRE: ['U0BOB'] } }).start();
    client = new WebClient(fake.botToken, { slackApiUrl: fake.apiUrl, retryConfig: { retries: 2, factor: 1, minTimeout: 10, maxTimeout: 10 }, logLevel: webApi.LogLevel.ERROR });
  });
  afterEach(async () => {
    await fake.stop();
  });

  it('answers auth.test for the bot token only', async () => {
    await expect(client.auth.test()).resolves.toMatchObject({ ok: true, user_id: 'UBOT' });
    const bad = new WebClient('xoxb-wrong', { slackApiUrl: fake.apiUrl });
    await expect(bad.auth.test()).rejects.toMatchObject({ data: { error: 'invalid_auth' } });
  });

  it('keeps messages, threads and edits', async () => {
    const root = await client.chat.postMessage({ channel: 'C1', text: 'header' });
    const ts = String(root.ts);
    await client.chat.postMessage({ channel: 'C1', thread_ts: ts, text: 'step one', blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'step one' } }] });
    await client.chat.update({ channel: 'C1', ts, text: 'header v2' });
    expect(fake.roots('C1').map((m) => m.text)).toEqual(['header v2']);
    expect(fake.message('C1', ts)?.history.map((h) => h.text)).toEqual(['header', 'header v2']);
    expect(fake.thread('C1', ts)).toHaveLength(1);
    await expect(client.chat.update({ channel: 'C1', ts: '1.2', text: 'x' })).rejects.toMatchObject({ data: { error: 'message_not_found' } });
  });

  it('refuses messages over Slack limits with the real error codes', async () => {
    await expect(client.chat.postMessage({ channel: 'C2', text: 'x'.repeat(40_001) })).rejects.toMatchObject({ data: { error: 'msg_too_long' } });
    const section = (text: string) => ({ type: 'section', text: { type: 'mrkdwn', text } });
    await expect(client.chat.postMessage({ channel: 'C3', text: 't', blocks: Array.from({ length: 51 }, () => section('a')) })).rejects.toMatchObject({
      data: { error: 'invalid_blocks' },
    });
    await expect(client.chat.postMessage({ channel: 'C4', text: 't', blocks: [section('x'.repeat(3001))] })).rejects.toMatchObject({ data: { error: 'invalid_blocks' } });
    await expect(client.chat.postMessage({ channel: 'C5', text: '' })).rejects.toMatchObject({ data: { error: 'no_text' } });
    await expect(client.chat.postMessage({ channel: 'C4', text: 't', blocks: [section('x'.repeat(3000))] })).resolves.toMatchObject({ ok: true });
  });

  it('answers 429 with Retry-After past the per-channel burst; WebClient waits and retries', async () => {
    fake.setRateLimit({ burst: 2, perSecond: 1 });
    const limited: number[] = [];
    client.on(WebClientEvent.RATE_LIMITED, (sec: number) => limited.push(sec));
    const started = Date.now();
    await Promise.all([1, 2, 3].map((i) => client.chat.postMessage({ channel: 'C6', text: `m${i}` })));
    expect(fake.rateLimited).toBeGreaterThanOrEqual(1);
    expect(limited[0]).toBe(1);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(fake.roots('C6')).toHaveLength(3);
    // Another channel has its own budget.
    await client.chat.postMessage({ channel: 'C7', text: 'other' });
    expect(fake.callsTo('chat.postMessage').filter((c) => c.params.channel === 'C7').every((c) => c.status === 200)).toBe(true);
  });

  it('uploads files through getUploadURLExternal, the upload URL and completeUploadExternal', async () => {
    const root = await client.chat.postMessage({ channel: 'C8', text: 'run' });
    await client.filesUploadV2({ channel_id: 'C8', thread_ts: String(root.ts), filename: 'r-1-build.log', content: 'line 1\nline 2', title: 'build log' });
    const file = [...fake.files.values()][0];
    expect(file?.content?.toString()).toBe('line 1\nline 2');
    expect(file).toMatchObject({ filename: 'r-1-build.log', title: 'build log', channel: 'C8', threadTs: String(root.ts) });
    expect(fake.callsTo('files.getUploadURLExternal')).toHaveLength(1);
    expect(fake.callsTo('files.completeUploadExternal')).toHaveLength(1);
  });

  it('lists user group members and records response_url posts', async () => {
    await expect(client.usergroups.users.list({ usergroup: 'S0SRE' })).resolves.toMatchObject({ users: ['U0BOB'] });
    await expect(client.usergroups.users.list({ usergroup: 'S0NONE' })).rejects.toMatchObject({ data: { error: 'no_such_subteam' } });
    const url = fake.responseUrl();
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ response_type: 'ephemeral', text: 'hi' }) });
    expect(res.status).toBe(200);
    expect(fake.responseUrlPosts[0]?.body).toEqual({ response_type: 'ephemeral', text: 'hi' });
  });
});
