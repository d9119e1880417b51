import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { FakeDiscordApi } from '../fakes/discord-api.js';
import { discordFrontHarness, type DiscordFrontHarness } from '../fakes/discord-front.js';
import { keysHolding } from '../helpers/redis-dump.js';
import { ALICE, DISCORD_PROJECT, EVE } from './discord-project.js';

const RUN_ID = /r-[0-9a-z]{6}/;
const shown = FakeDiscordApi.shown;
const EPHEMERAL = 64;
const SECRET = 'tok-Zq9 "s3cr3t" value';
const PASSWORD = 'hunter2-Pa55w0rd';
const NOTE = 'n0te-Secret-kept';

/**
 * rotate: an optional secret only (given as key=value, or left out); login: a required secret, a
 * usage argument (validate warns: typed into chat elsewhere); swap: a required secret argument
 * before the usage's other words, and an optional secret beside it; publish: an optional secret
 * argument in an optional part.
 */
const PROJECT: Record<string, string> = {
  ...DISCORD_PROJECT,
  'workflows/rotate.yaml': `
name: rotate
description: Rotate a service's token.
inputs:
  service: { type: string, required: true }
  token: { type: string, secret: true, description: The new token }
steps:
  - id: rotate
    env: { S: "\${{ inputs.service }}", T: "\${{ inputs.token }}" }
    run: echo "rotating $S with $T"
`,
  'commands/rotate.yaml': `
name: rotate
usage: rotate {service}
workflow: rotate
`,
  'workflows/login.yaml': `
name: login
inputs:
  password: { type: string, required: true, secret: true }
steps:
  - id: login
    env: { P: "\${{ inputs.password }}" }
    run: echo "logged in with $P"
`,
  'commands/login.yaml': `
name: login
usage: login {password}
workflow: login
`,
  'workflows/swap.yaml': `
name: swap
inputs:
  token: { type: string, required: true, secret: true, description: The new token }
  service: { type: string, required: true }
  note: { type: string, secret: true }
steps:
  - id: swap
    env: { S: "\${{ inputs.service }}", T: "\${{ inputs.token }}", N: "\${{ inputs.note }}" }
    run: echo "swapping $S to $T ($N)"
`,
  'commands/swap.yaml': `
name: swap
usage: swap {token} for {service}
workflow: swap
`,
  'workflows/publish.yaml': `
name: publish
inputs:
  room: { type: string, required: true }
  hook: { type: string, secret: true }
steps:
  - id: publish
    env: { R: "\${{ inputs.room }}" }
    run: echo "published in $R"
`,
  'commands/publish.yaml': `
name: publish
usage: publish {room} [with {hook}]
workflow: publish
`,
  'policy.yaml': (DISCORD_PROJECT['policy.yaml'] ?? '').replace('commands: [restart, deploy, chatty, drip, wide]', 'commands: [restart, deploy, chatty, drip, wide, rotate, login, swap, publish]'),
};

interface Modal {
  type: number;
  data: { custom_id: string; title: string; components: { type: number; label: string; component: { custom_id: string; value?: string; required?: boolean } }[] };
}

/** The modal's fields by custom_id: their prefilled values. */
function fieldsOf(body: unknown): Map<string, string | undefined> {
  const m = body as Modal;
  return new Map(m.data.components.map((c) => [c.component.custom_id, c.component.value]));
}

/** The modal's fields by custom_id: whether each must be filled. */
function requiredOf(body: unknown): Map<string, boolean | undefined> {
  const m = body as Modal;
  return new Map(m.data.components.map((c) => [c.component.custom_id, c.component.required]));
}

describe.each(['http', 'gateway'] as const)('Discord secret inputs asked in a modal (%s)', (via) => {
  let h: DiscordFrontHarness;

  beforeAll(async () => {
    h = await discordFrontHarness(PROJECT, { gateway: via === 'gateway' });
  });
  afterAll(async () => {
    await h.close();
  });

  /** Nothing the fake Discord holds shows the secret: messages, embeds, attachments. */
  function nowhereInDiscord(secret: string): void {
    for (const m of h.fake.messages.values()) {
      expect(shown(m)).not.toContain(secret);
      for (const a of m.attachments) expect(a.text).not.toContain(secret);
    }
  }

  it('/ops command:swap for api -> a modal (the secret argument in its place, the optional secret beside it; nothing started); its submission runs with the secrets masked everywhere', async () => {
    const channel = via === 'http' ? '540000000000000006' : '540000000000000106';
    const asked = await h.sender.ops({ user: ALICE, channel }, 'swap for api');
    expect(asked.acked).toBe(true);
    expect(asked.body).toMatchObject({ type: 9, data: { custom_id: 'secrets|swap' } });
    expect([...fieldsOf(asked.body)]).toEqual([
      ['line', 'swap {token} for api'],
      ['secret:token', undefined],
      ['secret:note', undefined],
    ]);
    expect([...requiredOf(asked.body)]).toEqual([
      ['line', true],
      ['secret:token', true],
      ['secret:note', false],
    ]);
    expect(await h.front.engine.listRuns({ channel })).toEqual([]);

    const res = await h.sender.modalSubmit({ user: ALICE, channel }, 'secrets|swap', { line: 'swap {token} for api', 'secret:token': NOTE, 'secret:note': SECRET });
    expect(res.acked).toBe(true);
    expect(res.body).toMatchObject({ type: 4, data: { flags: EPHEMERAL } });
    const runId = RUN_ID.exec(JSON.stringify(res.body))?.[0] ?? '';
    expect(runId).not.toBe('');
    const root = await h.fake.waitFor(() => h.fake.inChannel(channel).find((m) => m.content.endsWith(`${runId}: succeeded`)), 30_000, 'final header');
    await h.fake.waitFor(() => h.fake.inChannel(root.id).find((m) => m.content.includes('swapping api to *** (***)')), 20_000, 'masked output in the thread');
    const run = await h.front.engine.getRun(runId);
    expect(run?.inputs).toEqual({ service: 'api', token: '***', note: '***' });
    expect(run?.trigger.text).toBe("swap *** for api note='***'");
    for (const secret of [SECRET, 's3cr3t', NOTE]) nowhereInDiscord(secret);
    expect(await keysHolding(h.front.redis, ['s3cr3t', NOTE], `${h.prefix}*`)).toEqual([]);
    expect(h.fake.invalidBodies).toEqual([]);
  }, 60_000);

  it.each([
    ['/ops command:rotate api', { name: 'ops', options: [{ name: 'command', type: 3, value: 'rotate api' }] }, { service: 'api' }],
    ['the typed /publish room:ops', { name: 'publish', options: [{ name: 'room', type: 3, value: 'ops' }] }, { room: 'ops' }],
  ])('%s, whose only secrets are optional, runs at once without a modal', async (_, data, inputs) => {
    const channel = via === 'http' ? `5400000000000000${data.name === 'ops' ? '05' : '07'}` : `5400000000000001${data.name === 'ops' ? '05' : '07'}`;
    const res = await h.sender.interact(2, { user: ALICE, channel }, { id: '400000000000000004', type: 1, ...data });
    expect(res.acked).toBe(true);
    expect(res.body).toMatchObject({ type: 4 });
    const runId = RUN_ID.exec(JSON.stringify(res.body))?.[0] ?? '';
    expect(runId).not.toBe('');
    await h.fake.waitFor(() => h.fake.inChannel(channel).find((m) => m.content.endsWith(`${runId}: succeeded`)), 30_000, 'final header');
    expect((await h.front.engine.getRun(runId))?.inputs).toEqual(inputs);
  }, 60_000);

  it('the typed /login (a secret usage argument, no option for it) asks in a modal, its placeholder filled on submission', async () => {
    const channel = via === 'http' ? '540000000000000002' : '540000000000000102';
    const asked = await h.sender.interact(2, { user: ALICE, channel }, { id: '400000000000000003', name: 'login', type: 1, options: [] });
    expect(asked.body).toMatchObject({ type: 9, data: { custom_id: 'secrets|login' } });
    expect(fieldsOf(asked.body).get('line')).toBe('login {password}');
    const res = await h.sender.modalSubmit({ user: ALICE, channel }, 'secrets|login', { line: 'login {password}', 'secret:password': PASSWORD });
    const runId = RUN_ID.exec(JSON.stringify(res.body))?.[0] ?? '';
    const root = await h.fake.waitFor(() => h.fake.inChannel(channel).find((m) => m.content.endsWith(`${runId}: succeeded`)), 30_000, 'final header');
    await h.fake.waitFor(() => h.fake.inChannel(root.id).find((m) => m.content.includes('logged in with ***')), 20_000, 'masked output');
    nowhereInDiscord(PASSWORD);
    expect(await keysHolding(h.front.redis, [PASSWORD], `${h.prefix}*`)).toEqual([]);
  }, 60_000);

  it('/ops command:login gets the placeholder too; a blank secret or a line changed to another command starts nothing', async () => {
    const channel = via === 'http' ? '540000000000000003' : '540000000000000103';
    const asked = await h.sender.ops({ user: ALICE, channel }, 'login');
    expect(fieldsOf(asked.body).get('line')).toBe('login {password}');
    const blank = await h.sender.modalSubmit({ user: ALICE, channel }, 'secrets|login', { line: 'login {password}', 'secret:password': '' });
    expect(blank.body).toMatchObject({ type: 4, data: { flags: EPHEMERAL } });
    expect(JSON.stringify(blank.body)).toContain('password is required');
    const elsewhere = await h.sender.modalSubmit({ user: ALICE, channel }, 'secrets|login', { line: 'restart api on web-1', 'secret:password': PASSWORD });
    expect(JSON.stringify(elsewhere.body)).toContain('runs something else');
    expect(await h.front.engine.listRuns({ channel })).toEqual([]);
  });

  it('a user policy refuses gets the refusal, not a modal; a secret typed in the line needs no modal', async () => {
    const channel = via === 'http' ? '540000000000000004' : '540000000000000104';
    const refused = await h.sender.ops({ user: EVE, channel }, 'rotate api');
    expect(refused.body).toMatchObject({ type: 4, data: { flags: EPHEMERAL } });
    expect(JSON.stringify(refused.body)).toContain('You may not run rotate here');
    const typed = await h.sender.ops({ user: ALICE, channel }, 'rotate api token=typed-in-line');
    expect(typed.body).toMatchObject({ type: 4 });
    expect(RUN_ID.test(JSON.stringify(typed.body))).toBe(true);
  });
});
