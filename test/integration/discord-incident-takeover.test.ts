/**
 * The header takeover window, for an incident's living message on Discord: a front posts the
 * message and dies before it saves the id (test/helpers/incident-takeover.ts), and the incident
 * resolves meanwhile. The message was posted with a nonce named after the incident and
 * `enforce_nonce`, so the front taking over posts it again and Discord (here the fake, enforcing
 * nonces as Discord documents) returns the first one, whose thread is already started: one
 * message, edited to resolved, its changes in its thread.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DiscordPlatform, rootNonce } from '../../src/adapters/discord/discord-platform.js';
import { createDiscordRest } from '../../src/adapters/discord/rest.js';
import { silentLogger } from '../../src/lib/logger.js';
import { FakeDiscordApi } from '../fakes/discord-api.js';
import { INCIDENT_TITLE, IncidentTakeover } from '../helpers/incident-takeover.js';

const CHANNEL = '500000000000000971';

describe('Discord: a front killed between its incident message post and saving the id', () => {
  let scene: IncidentTakeover;
  let fake: FakeDiscordApi;

  beforeAll(async () => {
    scene = new IncidentTakeover();
    fake = await new FakeDiscordApi({ rateLimit: { writes: 50, perMs: 1000 } }).start();
  });
  afterAll(async () => {
    await scene.close();
    await fake.stop();
  });

  it('the front taking over posts the message again and gets the first one back: one message, resolved, changes in its thread', async () => {
    const { id, root } = await scene.killedAfterPost({
      platform: () => new DiscordPlatform({ rest: createDiscordRest({ token: fake.token, apiUrl: fake.apiUrl }), applicationId: fake.applicationId, log: silentLogger }),
      channel: `discord:${CHANNEL}`,
      landed: () => fake.inChannel(CHANNEL).length > 0,
    });

    const messages = fake.inChannel(CHANNEL);
    expect(messages.map((m) => m.content.split(' (')[0])).toEqual([`Resolved: ${INCIDENT_TITLE}`]);
    const message = messages[0];
    if (!message) throw new Error('no incident message');
    expect(root).toMatchObject({ channel: CHANNEL, id: message.id, thread: message.id });
    expect(message.nonce).toBe(rootNonce({ kind: 'incident', id }));
    expect(message.nonce).not.toBe(rootNonce({ kind: 'run', id }));
    expect(message.components).toEqual([]);
    // Both fronts posted it; Discord created it once.
    const posts = fake.calls.filter((c) => c.method === 'POST' && c.path.endsWith(`/channels/${CHANNEL}/messages`) && c.status === 200);
    expect(posts.length).toBe(2);
    expect(fake.threads.get(message.id)).toMatchObject({ parentId: CHANNEL });
    expect(fake.inChannel(message.id).some((m) => FakeDiscordApi.shown(m).includes('resolved'))).toBe(true);
  }, 40_000);
});
