/**
 * The header takeover window, for an incident's living message on Slack: a front posts the
 * message and dies before it saves the ts (test/helpers/incident-takeover.ts), and the incident
 * resolves meanwhile. The front taking over must adopt that message (found by its metadata in the
 * channel's history) and edit it, instead of posting a second one and leaving the first "firing"
 * with live buttons and the thread split in two.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { SlackPlatform } from '../../src/adapters/slack/slack-platform.js';
import { silentLogger } from '../../src/lib/logger.js';
import { FakeSlackApi } from '../fakes/slack-api.js';
import { INCIDENT_TITLE, IncidentTakeover } from '../helpers/incident-takeover.js';

describe('Slack: a front killed between its incident message post and saving the ts', () => {
  let scene: IncidentTakeover;
  let fake: FakeSlackApi;

  beforeAll(async () => {
    scene = new IncidentTakeover();
    fake = await new FakeSlackApi({ rateLimit: false }).start();
  });
  afterAll(async () => {
    await scene.close();
    await fake.stop();
  });

  it('the front taking over adopts the message left in the channel: one message, resolved, the changes in its thread', async () => {
    const { id, root } = await scene.killedAfterPost({
      platform: () => new SlackPlatform({ token: fake.botToken, apiUrl: fake.apiUrl, log: silentLogger }),
      channel: 'slack:C0INCTOP',
      landed: () => fake.roots('C0INCTOP').length > 0,
    });

    const roots = fake.roots('C0INCTOP');
    expect(roots.map((m) => m.text.split(' (')[0])).toEqual([`Resolved: ${INCIDENT_TITLE}`]);
    const message = roots[0];
    if (!message) throw new Error('no incident message');
    expect(root).toMatchObject({ channel: 'C0INCTOP', id: message.ts });
    expect(message.metadata).toEqual({ event_type: 'chatops_incident', event_payload: { incident_id: id } });
    // Resolved: no buttons left to click.
    expect(JSON.stringify(message.blocks)).not.toContain('"actions"');
    // Every change in one thread, under the one message.
    const thread = fake.thread('C0INCTOP', message.ts).map((m) => m.text);
    expect(thread.some((t) => t.includes('resolved'))).toBe(true);
    // Found through the history since the post was marked, with metadata.
    const lookup = fake.callsTo('conversations.history');
    expect(lookup[0]).toMatchObject({ ok: true, params: { channel: 'C0INCTOP', include_all_metadata: 'true' } });
    expect(Number(lookup[0]?.params.oldest)).toBeLessThan(Number(message.ts));
  }, 40_000);
});
