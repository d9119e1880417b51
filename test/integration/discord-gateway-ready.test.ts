import { afterEach, describe, expect, it } from '@jest/globals';
import { discordFrontHarness, type DiscordFrontHarness } from '../fakes/discord-front.js';
import { until } from '../helpers/until.js';
import { ALICE, DISCORD_PROJECT } from './discord-project.js';

interface Readyz {
  status: number;
  body: { status?: string; checks?: Record<string, string> };
}

describe('Discord Gateway mode: /readyz follows the Gateway connection', () => {
  let h: DiscordFrontHarness | undefined;

  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  async function start(): Promise<DiscordFrontHarness> {
    // A lost connection counts once it has been down 1 s (15 s in serve).
    h = await discordFrontHarness(DISCORD_PROJECT, { gateway: true, fake: { gateway: { heartbeatMs: 300 } }, discord: { gatewayDownGraceMs: 1_000 } });
    return h;
  }

  async function readyz(base: string): Promise<Readyz> {
    const res = await fetch(`${base}/readyz`);
    return { status: res.status, body: (await res.json()) as Readyz['body'] };
  }

  /** Polls /readyz until it answers `status`. */
  function readyzIs(hh: DiscordFrontHarness, status: number): Promise<Readyz> {
    return until(`/readyz answering ${status}`, async () => {
      const r = await readyz(hh.base);
      return r.status === status ? r : undefined;
    }, 20_000);
  }

  it('not ready while the Gateway stays out of reach (with the reason), ready again once it resumes', async () => {
    const hh = await start();
    expect(await readyz(hh.base)).toMatchObject({ status: 200, body: { checks: { redis: 'ok', 'discord-gateway': 'ok' } } });

    hh.fake.gateway.refuseConnections = true;
    hh.fake.gateway.drop(4000);
    const down = await readyzIs(hh, 503);
    expect(down.body.status).toBe('not ready');
    expect(down.body.checks?.['discord-gateway']).toMatch(/connection to Discord's Gateway lost \d+ s ago; reconnecting/);
    expect(down.body.checks?.redis).toBe('ok');

    hh.fake.gateway.refuseConnections = false;
    const up = await readyzIs(hh, 200);
    expect(up.body.checks?.['discord-gateway']).toBe('ok');
    expect(hh.fake.gateway.resumes).toBe(1);
    // And interactions arrive again.
    const res = await hh.sender.ops({ user: ALICE, channel: '570000000000000001' }, 'restart api');
    expect(res.acked).toBe(true);
  }, 60_000);

  it('not ready for good once the Gateway closes with a code it does not come back from (4004)', async () => {
    const hh = await start();
    await readyzIs(hh, 200);
    hh.fake.gateway.drop(4004);
    const down = await readyzIs(hh, 503);
    expect(down.body.checks?.['discord-gateway']).toMatch(/closed the connection for good \(code 4004 AuthenticationFailed\).*restart serve/);
    // discord.js does not reconnect after it (it would retry within 500 ms): still not ready, no
    // new IDENTIFY. Waiting for something not to happen has no event to wait for, hence the pause.
    await new Promise((r) => setTimeout(r, 1_500));
    expect((await readyz(hh.base)).status).toBe(503);
    expect(hh.fake.gateway.identifies).toBe(1);
  }, 60_000);
});
