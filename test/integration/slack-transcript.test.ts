/**
 * `transcript` on Slack, end to end (real Bolt app, fake Slack Web API): a transcript that fits
 * one message comes inline; a longer one comes as a short note with the whole Markdown uploaded
 * as a file (files.uploadV2) where it was asked for: the run's thread, or the channel.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { shown, slackFrontHarness, type SlackFrontHarness } from '../fakes/slack-front.js';
import type { FakeFile, FakeMessage } from '../fakes/slack-api.js';
import { SLACK_PROJECT } from './slack-project.js';

const RUN_ID = /r-[0-9a-z]{6}/;

describe('Slack: transcript of a run', () => {
  let h: SlackFrontHarness;

  beforeAll(async () => {
    h = await slackFrontHarness(SLACK_PROJECT, { fake: { rateLimit: { burst: 3, perSecond: 1 } } });
  });
  afterAll(async () => {
    await h.close();
  });

  /** Starts `text` with the slash command in `channel`; the run's header once it succeeded. */
  async function finishedRun(channel: string, text: string): Promise<{ runId: string; root: FakeMessage }> {
    const res = await h.sender.slash({ text, channel, responseUrl: h.fake.responseUrl() });
    const runId = RUN_ID.exec(JSON.stringify(res.body))?.[0] ?? '';
    expect(runId).not.toBe('');
    const root = await h.fake.waitFor(() => h.fake.roots(channel).find((m) => m.text.endsWith(`${runId}: succeeded`)), 20_000, `final header of ${runId}`);
    return { runId, root };
  }

  /** Transcript files of `runId` shared in a channel (an upload Slack answered 429 to is not). */
  function transcriptFiles(runId: string): FakeFile[] {
    return [...h.fake.files.values()].filter((f) => f.filename === `${runId}-transcript.md` && f.content && f.channel);
  }

  it('a long transcript typed for in the run thread: a short note there and the whole Markdown as a file', async () => {
    const { runId, root } = await finishedRun('C0WIDE', 'wide');
    const transcript = await h.front.engine.transcript(runId);
    // Far beyond one message: Slack would have cut it to 50 blocks.
    expect(transcript.length).toBeGreaterThan(150_000);
    const lines = transcript.replace(/\n$/, '').split('\n').length;

    await h.sender.mention({ text: '<@UBOT> transcript', user: 'U0ALICE', channel: 'C0WIDE', threadTs: root.ts });
    const file = await h.fake.waitFor(() => transcriptFiles(runId)[0], 10_000, 'uploaded transcript');
    expect(file).toMatchObject({ channel: 'C0WIDE', threadTs: root.ts, title: `transcript of ${runId}` });
    const text = file.content?.toString() ?? '';
    expect(text).toBe(transcript);
    // The last step's lines and the final status are in it, and the first step's too.
    expect(text).toContain('wrap-up: the wide lines are written\nwrap-up: last line');
    expect(text).toMatch(/## Result\n\n\*\*succeeded\*\* after /);
    expect(text).toContain('wide line 59 & <b> xxx');

    const note = await h.fake.waitFor(() => h.fake.messages.find((m) => m.channel === 'C0WIDE' && m.threadTs === root.ts && m.ephemeralTo === 'U0ALICE'), 5_000, 'note in the thread');
    expect(note.text).toBe(`transcript of ${runId}: ${lines} lines, attached as ${runId}-transcript.md`);
    expect(shown(note).length).toBeLessThan(1_000);
    // Every write went through without a refusal (no message too long, no invalid blocks).
    expect(h.fake.calls.filter((c) => (c.params.channel ?? c.params.channel_id) === 'C0WIDE' && c.status === 200 && !c.ok)).toEqual([]);

    // With the slash command (no thread): the note through the response_url, the file in the channel.
    const url = h.fake.responseUrl();
    const uploads = h.fake.callsTo('files.completeUploadExternal').length;
    const res = await h.sender.slash({ text: `transcript ${runId}`, channel: 'C0WIDE', responseUrl: url });
    expect(res.status).toBe(200);
    expect(res.text.length).toBeLessThan(1_000);
    const answer = await h.fake.waitFor(() => h.fake.postsTo(url)[0], 5_000, 'note through the response_url');
    expect(answer.body).toMatchObject({ response_type: 'ephemeral', text: `transcript of ${runId}: ${lines} lines, attached as ${runId}-transcript.md` });
    // Once (a 429 from the fake's per-channel budget is retried), at the channel's top level.
    const inChannel = h.fake
      .callsTo('files.completeUploadExternal')
      .slice(uploads)
      .filter((c) => c.ok && String(c.params.files).includes(`transcript of ${runId}`));
    expect(inChannel).toHaveLength(1);
    expect(inChannel[0]?.params).toMatchObject({ channel_id: 'C0WIDE' });
    expect(inChannel[0]?.params.thread_ts).toBeUndefined();
    expect(transcriptFiles(runId).map((f) => [f.threadTs, f.content?.toString()])).toEqual([
      [root.ts, transcript],
      [undefined, transcript],
    ]);
  });

  it('a short transcript still comes inline, with no file', async () => {
    const { runId, root } = await finishedRun('C0SHORT', 'restart api on web-1');
    const files = h.fake.files.size;
    await h.sender.mention({ text: '<@UBOT> transcript', user: 'U0ALICE', channel: 'C0SHORT', threadTs: root.ts });
    const answer = await h.fake.waitFor(() => h.fake.messages.find((m) => m.channel === 'C0SHORT' && m.threadTs === root.ts && m.ephemeralTo === 'U0ALICE'), 5_000, 'inline transcript');
    expect(answer.text).toContain(`transcript of ${runId}`);
    expect(answer.text).toContain('checking api on web-1');
    expect(answer.text).toContain('**succeeded**');
    expect(shown(answer)).toContain('```');

    const res = await h.sender.slash({ text: `transcript ${runId}`, channel: 'C0SHORT', responseUrl: h.fake.responseUrl() });
    expect(res.body).toMatchObject({ response_type: 'ephemeral' });
    expect(JSON.stringify(res.body)).toContain('restarted');
    await new Promise((r) => setTimeout(r, 300));
    expect(h.fake.files.size).toBe(files);
    expect(transcriptFiles(runId)).toEqual([]);
  });
});
