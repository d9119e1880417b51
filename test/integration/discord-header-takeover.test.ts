/**
 * The window the chaos test found, on Discord: a replica posts a run's header and dies before it
 * saves the message's id (test/helpers/header-takeover.ts). The header was posted with a nonce
 * named after the run and `enforce_nonce`, so the replica taking over posts it again and Discord
 * (here the fake, enforcing nonces as Discord documents) returns the first message: one header,
 * final, its thread holding the output.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DiscordPlatform, rootNonce } from '../../src/adapters/discord/discord-platform.js';
import { createDiscordRest } from '../../src/adapters/discord/rest.js';
import { silentLogger } from '../../src/lib/logger.js';
import { FakeDiscordApi } from '../fakes/discord-api.js';
import { HeaderTakeover, TALKY, TALKY_LAST_LINE } from '../helpers/header-takeover.js';

const CHANNEL = '500000000000000961';

describe('Discord: a replica killed between its header post and saving the id', () => {
  let scene: HeaderTakeover;
  let fake: FakeDiscordApi;

  beforeAll(async () => {
    scene = await new HeaderTakeover().start();
    fake = await new FakeDiscordApi({ rateLimit: { writes: 50, perMs: 1000 } }).start();
  });
  afterAll(async () => {
    await scene.close();
    await fake.stop();
  });

  it('the replica taking over posts the header again and gets the first one back: one header, final, output in its thread', async () => {
    const header = (runId: string) => fake.inChannel(CHANNEL).filter((m) => m.content.startsWith(`${TALKY} ${runId}: `));
    const { runId } = await scene.killedAfterHeader({
      platform: () => new DiscordPlatform({ rest: createDiscordRest({ token: fake.token, apiUrl: fake.apiUrl }), applicationId: fake.applicationId, log: silentLogger }),
      channel: CHANNEL,
      landed: (id) => header(id).length > 0,
    });

    const headers = header(runId);
    expect(headers.map((m) => m.content)).toEqual([`${TALKY} ${runId}: succeeded`]);
    const root = headers[0];
    if (!root) throw new Error('no header');
    expect(root.nonce).toBe(rootNonce({ kind: 'run', id: runId }));
    // Both replicas posted it; Discord created it once.
    const posts = fake.calls.filter((c) => c.method === 'POST' && c.path.endsWith(`/channels/${CHANNEL}/messages`) && c.status === 200);
    expect(posts.length).toBe(2);
    const output = fake.inChannel(root.id).find((m) => m.content.startsWith('talk') || FakeDiscordApi.shown(m).includes(TALKY_LAST_LINE));
    expect(FakeDiscordApi.shown(output)).toContain(TALKY_LAST_LINE);
  }, 40_000);
});
