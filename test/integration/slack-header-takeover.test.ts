/**
 * The window the chaos test found, on Slack: a replica posts a run's header and dies before it
 * saves the message's ts (test/helpers/header-takeover.ts). The replica taking over must adopt
 * that header (found by its metadata in the channel's history, or in the incident thread's
 * replies) and finish the run in it. Without the history scope it cannot look: it posts again,
 * and says why once.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { SlackPlatform } from '../../src/adapters/slack/slack-platform.js';
import type { MessageRef } from '../../src/chat/platform.js';
import { silentLogger, type Logger } from '../../src/lib/logger.js';
import { DEFAULT_SCOPES, FakeSlackApi, type FakeSlackOptions } from '../fakes/slack-api.js';
import { HeaderTakeover, recordingLogger, TALKY, TALKY_LAST_LINE } from '../helpers/header-takeover.js';

describe('Slack: a replica killed between its header post and saving the ts', () => {
  let scene: HeaderTakeover;
  const fakes: FakeSlackApi[] = [];

  beforeAll(async () => {
    scene = await new HeaderTakeover().start();
  });
  afterAll(async () => {
    await scene.close();
    for (const f of fakes) await f.stop();
  });

  async function fakeSlack(opts: FakeSlackOptions = {}): Promise<FakeSlackApi> {
    const fake = await new FakeSlackApi({ rateLimit: false, ...opts }).start();
    fakes.push(fake);
    return fake;
  }

  function takeover(fake: FakeSlackApi, channel: string, thread?: MessageRef, log?: Logger): Promise<{ runId: string }> {
    return scene.killedAfterHeader({
      platform: () => new SlackPlatform({ token: fake.botToken, apiUrl: fake.apiUrl, log: silentLogger }),
      channel,
      thread,
      log,
      landed: (runId) => fake.messages.some((m) => m.text.startsWith(`${TALKY} ${runId}: `)),
    });
  }

  it('the replica taking over adopts the header left in the channel: one header, final, output under it', async () => {
    const fake = await fakeSlack();
    const { runId } = await takeover(fake, 'C0TOP');

    const roots = fake.roots('C0TOP');
    expect(roots.map((m) => m.text)).toEqual([`${TALKY} ${runId}: succeeded`]);
    const root = roots[0];
    if (!root) throw new Error('no header');
    expect(root.metadata).toEqual({ event_type: 'chatops_run', event_payload: { run_id: runId } });
    const output = fake.thread('C0TOP', root.ts).find((m) => m.text.startsWith('talk:'));
    expect(JSON.stringify(output?.blocks)).toContain(TALKY_LAST_LINE);
    // Found through the history since the post was marked, with metadata.
    const lookup = fake.callsTo('conversations.history');
    expect(lookup.length).toBeGreaterThanOrEqual(1);
    expect(lookup[0]).toMatchObject({ ok: true, params: { channel: 'C0TOP', include_all_metadata: 'true' } });
    expect(Number(lookup[0]?.params.oldest)).toBeLessThan(Number(root.ts));
  }, 40_000);

  it('a header posted as a reply in an incident thread is found in the thread (conversations.replies)', async () => {
    const fake = await fakeSlack();
    const incident = await new SlackPlatform({ token: fake.botToken, apiUrl: fake.apiUrl, log: silentLogger }).postRoot('C0INC', { kind: 'notice', view: { runId: '-', text: 'incident INC-1' } });
    const { runId } = await takeover(fake, 'C0INC', incident);

    const headers = fake.thread('C0INC', incident.id).filter((m) => m.metadata?.event_payload.run_id === runId);
    expect(headers.map((m) => m.text)).toEqual([`${TALKY} ${runId}: succeeded`]);
    expect(fake.roots('C0INC')).toHaveLength(1);
    expect(fake.callsTo('conversations.replies')[0]).toMatchObject({ ok: true, params: { channel: 'C0INC', ts: incident.id } });
  }, 40_000);

  it('without the history scope the header is posted again (the run still ends in it), and why is logged once', async () => {
    const fake = await fakeSlack({ scopes: DEFAULT_SCOPES.filter((s) => s !== 'channels:history') });
    const { log, lines } = recordingLogger();
    const { runId } = await takeover(fake, 'C0NOSCOPE', undefined, log);

    const roots = fake.roots('C0NOSCOPE');
    expect(roots.map((m) => m.text)).toEqual([`${TALKY} ${runId}: running`, `${TALKY} ${runId}: succeeded`]);
    expect(fake.callsTo('conversations.history').map((c) => c.error)).toEqual(['missing_scope']);
    const said = lines.filter((l) => String(l.msg).startsWith('could not look up a run header'));
    expect(said).toHaveLength(1);
    expect(JSON.stringify(said[0])).toContain('channels:history');
  }, 40_000);
});
