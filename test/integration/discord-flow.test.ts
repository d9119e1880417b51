import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { FakeDiscordApi, type FakeDiscordMessage } from '../fakes/discord-api.js';
import { discordFrontHarness, type DiscordFrontHarness } from '../fakes/discord-front.js';
import { ALICE, BOB, CAROL, DISCORD_PROJECT, EVE, SRE_ROLE } from './discord-project.js';

const RUN_ID = /r-[0-9a-z]{6}/;
const shown = FakeDiscordApi.shown;
const EPHEMERAL = 64;

describe('Discord adapter end to end (HTTP interactions, real REST client, fake Discord API)', () => {
  let h: DiscordFrontHarness;

  beforeAll(async () => {
    h = await discordFrontHarness(DISCORD_PROJECT);
  });
  afterAll(async () => {
    await h.close();
  });

  /** The run's header (the message its thread was started from) once it reads `state`. */
  function header(channel: string, runId: string, state: string): Promise<FakeDiscordMessage> {
    return h.fake.waitFor(() => h.fake.inChannel(channel).find((m) => m.content === `${m.content.split(' ')[0]} ${runId}: ${state}`), 30_000, `header of ${runId} reading ${state}`);
  }

  it('/ops command:… -> ephemeral ack in time -> header -> thread with step output -> header edited to the final status', async () => {
    const channel = '500000000000000001';
    const res = await h.sender.ops({ user: ALICE, channel }, 'restart api on web-1');
    expect(res.status).toBe(200);
    expect(res.acked).toBe(true);
    expect(res.body).toMatchObject({ type: 4, data: { flags: EPHEMERAL } });
    const runId = RUN_ID.exec(JSON.stringify(res.body))?.[0] ?? '';
    expect(runId).not.toBe('');

    const root = await header(channel, runId, 'succeeded');
    expect(root.edits).toBeGreaterThan(0);
    expect(shown(root)).toContain('**Succeeded** in');
    expect(shown(root)).toContain(`<@${ALICE}>`);
    expect(shown(root)).toContain('Pre-check');
    // The thread was started from the header; step output went there, within 2,000 characters.
    expect(h.fake.threads.get(root.id)).toMatchObject({ parentId: channel });
    const precheck = await h.fake.waitFor(() => h.fake.inChannel(root.id).find((m) => m.content.includes('checking api on web-1')), 20_000, 'pre-check output in the thread');
    expect(precheck.content.length).toBeLessThanOrEqual(2000);
    await h.fake.waitFor(() => h.fake.inChannel(root.id).find((m) => m.content.includes('restarted')), 20_000, 'restart output in the thread');

    const metrics = await (await fetch(`${h.base}/metrics`)).text();
    expect(metrics).toMatch(/chatops_discord_ack_seconds_count [1-9]/);
    expect(h.fake.invalidBodies).toEqual([]);
    expect(h.fake.botAuthOnTokenRoutes).toEqual([]);
    expect(h.fake.rateLimited()).toEqual([]);
  });

  it('answers a usage error privately in the initial response and starts nothing', async () => {
    const channel = '500000000000000002';
    const res = await h.sender.ops({ user: ALICE, channel }, 'restart api');
    expect(res.acked).toBe(true);
    expect(res.body).toMatchObject({ type: 4, data: { flags: EPHEMERAL } });
    expect(JSON.stringify(res.body)).toContain('restart {service} on {host}');
    expect(await h.front.engine.listRuns({ channel })).toEqual([]);
  });

  it('refuses a user policy does not allow, privately, and starts nothing', async () => {
    const channel = '500000000000000003';
    const res = await h.sender.ops({ user: EVE, channel }, 'restart api on web-1');
    expect(res.acked).toBe(true);
    expect(res.body).toMatchObject({ type: 4, data: { flags: EPHEMERAL } });
    expect(JSON.stringify(res.body)).toContain('You may not run restart here');
    expect(await h.front.engine.listRuns({ channel })).toEqual([]);
  });

  it('approval: buttons in the thread; refused clicks get a private reason and change nothing; a member of the SRE role approves', async () => {
    const channel = '500000000000000004';
    const res = await h.sender.ops({ user: ALICE, channel }, 'deploy api');
    const runId = RUN_ID.exec(JSON.stringify(res.body))?.[0] ?? '';
    const root = await header(channel, runId, 'waiting');
    const approval = await h.fake.waitFor(() => h.fake.inChannel(root.id).find((m) => m.components.length > 0), 20_000, 'approval message with buttons');
    const approve = approval.components[0]?.components.find((c) => c.label === 'Approve');
    expect(approve?.custom_id).toBe(`approve|${runId}|approve`);

    for (const [user, roles] of [
      [ALICE, []],
      [CAROL, []],
      [EVE, []],
    ] as const) {
      const click = await h.sender.click({ user, roles: [...roles], channel: root.id, parent: channel }, approve?.custom_id ?? '', approval.id);
      expect(click.acked).toBe(true);
      const token = click.interaction?.id;
      const refusal = await h.fake.waitFor(() => [...h.fake.messages.values()].find((m) => m.interactionId === token && m.flags === EPHEMERAL), 20_000, `private refusal for ${user}`);
      expect(shown(refusal)).toMatch(/not counted|may not/);
    }
    expect((await h.front.engine.getRun(runId))?.state).toBe('waiting');

    const ok = await h.sender.click({ user: BOB, roles: [SRE_ROLE], channel: root.id, parent: channel }, approve?.custom_id ?? '', approval.id);
    expect(ok.acked).toBe(true);
    await header(channel, runId, 'succeeded');
    const decided = await h.fake.waitFor(() => {
      const m = h.fake.messages.get(approval.id);
      return m && m.components[0]?.components.every((c) => c.disabled) ? m : undefined;
    }, 20_000, 'approval message with its buttons disabled');
    expect(shown(decided)).toContain(`<@${BOB}>`);
    expect(shown(decided)).toContain('Approved');
    expect(h.fake.invalidBodies).toEqual([]);
    expect(h.fake.botAuthOnTokenRoutes).toEqual([]);
  });

  it('a chatty step: output edited in place under the channel budget with no 429, the full log attached as a file', async () => {
    const channel = '500000000000000005';
    const res = await h.sender.ops({ user: ALICE, channel }, 'chatty lines=500');
    const runId = RUN_ID.exec(JSON.stringify(res.body))?.[0] ?? '';
    const root = await header(channel, runId, 'succeeded');
    const file = await h.fake.waitFor(() => h.fake.inChannel(root.id).flatMap((m) => m.attachments).find((a) => a.filename.endsWith('.log')), 20_000, 'the full log attached').catch((err: unknown) => {
      throw new Error(`${String(err)}; calls: ${JSON.stringify(h.fake.calls.slice(-12).map((c) => [c.method, c.path.slice(-40), c.status, c.at % 100000]))} now ${Date.now() % 100000} errors ${JSON.stringify(h.fake.errors)}`);
    });
    expect(file.text.split('\n').filter(Boolean)).toHaveLength(500);
    expect(h.fake.rateLimited()).toEqual([]);
    expect(h.fake.invalidBodies).toEqual([]);
  });

  it('50 commands in 5 seconds: each acknowledged within 3 s, each run ending with its final header', async () => {
    const channels = Array.from({ length: 50 }, (_, i) => `5000000000000001${String(i).padStart(2, '0')}`);
    const answers = await Promise.all(channels.map(async (channel, i) => {
      await new Promise((r) => setTimeout(r, i * 100));
      return h.sender.ops({ user: ALICE, channel }, 'restart api on web-1');
    }));
    expect(answers.map((a) => a.acked)).toEqual(channels.map(() => true));
    const runIds = answers.map((a) => RUN_ID.exec(JSON.stringify(a.body))?.[0] ?? '');
    await Promise.all(runIds.map((runId, i) => h.fake.waitFor(() => h.fake.inChannel(channels[i] ?? '').find((m) => m.content.endsWith(`${runId}: succeeded`)), 90_000, `final header of ${runId}`)));
    // No channel's budget was overrun (a global 429, when the burst passes 50/s, is waited out by the client).
    expect(h.fake.rateLimited().filter((c) => !c.global)).toEqual([]);
  }, 120_000);
});
