import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import type { Redis } from 'ioredis';
import { SlackPlatform, SlackWriteError } from '../../src/adapters/slack/slack-platform.js';
import { createThreadRuns } from '../../src/adapters/slack/thread-runs.js';
import type { ChatContent, FileUpload } from '../../src/chat/platform.js';
import { silentLogger } from '../../src/lib/logger.js';
import { FakeSlackApi } from '../fakes/slack-api.js';
import { testRedis, uniquePrefix } from '../helpers/redis.js';

const notice = (text: string): ChatContent => ({ kind: 'notice', view: { runId: 'r-abc123', stepId: 's', text } });
const reply = (title: string, ephemeral: boolean): ChatContent => ({ kind: 'reply', view: { tone: 'info', title, blocks: [], ephemeral } });

describe('SlackPlatform (outbound writes against the fake Web API)', () => {
  let fake: FakeSlackApi;
  let redis: Redis;
  let platform: SlackPlatform;
  let threads: ReturnType<typeof createThreadRuns>;
  const limited: string[] = [];

  beforeAll(() => {
    redis = testRedis();
  });
  afterAll(async () => {
    await redis.quit();
  });
  beforeEach(async () => {
    fake = await new FakeSlackApi({ rateLimit: { burst: 1, perSecond: 1 } }).start();
    limited.length = 0;
    threads = createThreadRuns(redis, uniquePrefix('slack-platform'));
    platform = new SlackPlatform({ token: fake.botToken, apiUrl: fake.apiUrl, log: silentLogger, threadRuns: threads, onRateLimited: (m) => limited.push(m) });
  });
  afterEach(async () => {
    await fake.stop();
  });

  it('turns a 429 into an error with Retry-After and holds the channel until then, without calling Slack', async () => {
    const root = await platform.postRoot('C1', notice('one'));
    const err = await platform.postReply(root, notice('two')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SlackWriteError);
    expect(err).toMatchObject({ code: 'SLACK_RATE_LIMITED', retryAfterMs: 1000 });
    expect(limited).toEqual(['chat.postMessage']);
    const calls = fake.calls.length;
    const held = await platform.update(root, notice('edited')).catch((e: unknown) => e);
    expect(held).toMatchObject({ code: 'SLACK_RATE_LIMITED' });
    expect((held as SlackWriteError).retryAfterMs).toBeGreaterThan(0);
    expect(fake.calls.length).toBe(calls);
    // Another channel has its own limit.
    await expect(platform.postRoot('C2', notice('elsewhere'))).resolves.toMatchObject({ channel: 'C2' });
  });

  it('codes refusals by Slack error, and remembers which run a thread root belongs to', async () => {
    fake.setRateLimit(false);
    const run: ChatContent = {
      kind: 'run',
      view: {
        runId: 'r-abc123',
        workflow: 'w',
        state: 'running',
        final: false,
        trigger: { kind: 'chat', source: 'slack', requester: 'slack:U1' },
        requester: 'slack:U1',
        inputs: {},
        createdAt: 0,
        durationMs: 0,
        outputs: {},
        steps: [],
        now: 0,
      },
    };
    const root = await platform.postRoot('C3', run);
    await expect(platform.update({ platform: 'slack', channel: 'C3', id: '1.000001' }, notice('x'))).rejects.toMatchObject({ code: 'SLACK_MESSAGE_NOT_FOUND' });
    expect(await threads.runOf('C3', root.id)).toBe('r-abc123');
  });

  it('answers through the response_url when there is one, ephemeral or in channel', async () => {
    fake.setRateLimit(false);
    const url = fake.responseUrl();
    await platform.reply({ platform: 'slack', channel: 'C4', user: 'slack:U1', replyHandle: url }, reply('private', true));
    await platform.reply({ platform: 'slack', channel: 'C4', user: 'slack:U1', replyHandle: url }, reply('public', false));
    expect(fake.responseUrlPosts.map((p) => [p.body.response_type, p.body.text])).toEqual([
      ['ephemeral', 'private'],
      ['in_channel', 'public'],
    ]);
    await platform.reply({ platform: 'slack', channel: 'C4', user: 'slack:U1' }, reply('whisper', true));
    expect(fake.messages.find((m) => m.text === 'whisper')?.ephemeralTo).toBe('U1');
  });

  it("uploads a reply's attachment where the user asked, then sends the note without it", async () => {
    fake.setRateLimit(false);
    const root = await platform.postRoot('C5', notice('run header'));
    const attachment = { filename: 'r-abc123-transcript.md', title: 'transcript of r-abc123', text: '# Run r-abc123\n\n**succeeded**.\n' };
    // Each reply carries its own attachment object, as each `transcript` answer does.
    const note = (file: FileUpload): ChatContent => ({ kind: 'reply', view: { tone: 'info', title: 'transcript of r-abc123: 3 lines, attached as r-abc123-transcript.md', blocks: [], ephemeral: true, attachment: file } });
    await platform.reply({ platform: 'slack', channel: 'C5', thread: root.id, user: 'slack:U1' }, note(attachment));
    const file = [...fake.files.values()].find((f) => f.filename === 'r-abc123-transcript.md');
    expect(file).toMatchObject({ channel: 'C5', threadTs: root.id, title: 'transcript of r-abc123' });
    expect(file?.content?.toString()).toBe(attachment.text);
    const sent = fake.messages.find((m) => m.ephemeralTo === 'U1');
    expect(sent).toMatchObject({ channel: 'C5', threadTs: root.id, text: 'transcript of r-abc123: 3 lines, attached as r-abc123-transcript.md' });
    expect(fake.callsTo('files.completeUploadExternal')[0]?.at).toBeLessThanOrEqual(fake.callsTo('chat.postEphemeral')[0]?.at ?? 0);

    // The note is rate limited after the upload went through: retried whole, the file goes up once.
    fake.setRateLimit({ burst: 1, perSecond: 1 });
    const again = note({ ...attachment, filename: 'r-abc123-retried.md' });
    const limitedNote = await platform.reply({ platform: 'slack', channel: 'C7', user: 'slack:U1' }, again).catch((e: unknown) => e);
    expect(limitedNote).toMatchObject({ code: 'SLACK_RATE_LIMITED' });
    await new Promise((r) => setTimeout(r, (limitedNote as SlackWriteError).retryAfterMs));
    await platform.reply({ platform: 'slack', channel: 'C7', user: 'slack:U1' }, again);
    expect([...fake.files.values()].filter((f) => f.filename === 'r-abc123-retried.md' && f.channel === 'C7')).toHaveLength(1);
    expect(fake.messages.filter((m) => m.channel === 'C7' && m.ephemeralTo === 'U1')).toHaveLength(1);
    fake.setRateLimit(false);

    // A channel the bot is not in refuses the file: the note says so, with the fix, and no file is kept.
    fake.botNotIn.add('C6');
    const url = fake.responseUrl();
    const files = fake.files.size;
    await platform.reply({ platform: 'slack', channel: 'C6', user: 'slack:U1', replyHandle: url }, note({ ...attachment }));
    const [answer] = fake.postsTo(url);
    expect(answer?.body).toMatchObject({ response_type: 'ephemeral' });
    expect(String(answer?.body.text)).toContain('r-abc123-transcript.md could not be attached here');
    expect(JSON.stringify(answer?.body.blocks)).toContain('/invite @chatops');
    expect([...fake.files.values()].slice(files).some((f) => f.channel === 'C6')).toBe(false);
  });
});
