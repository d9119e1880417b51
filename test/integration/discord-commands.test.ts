import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { rmSync } from 'node:fs';
import { discordRegister } from '../../src/cli/discord.js';
import { discordFrontHarness, type DiscordFrontHarness } from '../fakes/discord-front.js';
import { writeProject } from '../helpers/project-dir.js';
import { ServeEnv } from '../helpers/serve-env.js';
import { ALICE, DISCORD_PROJECT } from './discord-project.js';

const RUN_ID = /r-[0-9a-z]{6}/;

/** A workflow with typed inputs (choice, number, boolean) and one with a secret input. */
const PROJECT: Record<string, string> = {
  ...DISCORD_PROJECT,
  'workflows/scale.yaml': `
name: scale
description: Scale a service.
inputs:
  service: { type: string, required: true }
  env: { type: choice, options: [staging, prod], required: true, description: Where }
  replicas: { type: number, default: 2 }
  dry_run: { type: boolean, default: false }
steps:
  - id: scale
    env: { S: "\${{ inputs.service }}", E: "\${{ inputs.env }}", R: "\${{ inputs.replicas }}", D: "\${{ inputs.dry_run }}" }
    run: echo "scaling $S in $E to $R (dry run $D)"
`,
  'commands/scale.yaml': `
name: scale
usage: scale {service} in {env}
workflow: scale
`,
  'workflows/rotate.yaml': `
name: rotate
inputs:
  password: { type: string, required: true, secret: true }
steps:
  - id: rotate
    run: echo rotated
`,
  'commands/rotate.yaml': `
name: rotate
usage: rotate {password}
workflow: rotate
`,
  'policy.yaml': (DISCORD_PROJECT['policy.yaml'] ?? '').replace('commands: [restart, deploy, chatty, drip, wide]', 'commands: [restart, deploy, chatty, drip, wide, scale, rotate]'),
};

describe('Discord commands: register, typed commands, autocomplete', () => {
  let h: DiscordFrontHarness;
  let dir: string;
  const env = new ServeEnv(['DISCORD_TOKEN', 'DISCORD_APPLICATION_ID', 'DISCORD_PUBLIC_KEY', 'DISCORD_API_URL', 'DISCORD_GUILD_ID', 'CHATOPS_DIR', 'REDIS_URL', 'CHATOPS_PREFIX', 'PORT', 'LOG_LEVEL', 'CHATOPS_SECRET_KEY']);

  beforeAll(async () => {
    h = await discordFrontHarness(PROJECT);
    ({ dir } = await writeProject(PROJECT, 'discord-register'));
  });
  afterAll(async () => {
    await h.close();
    rmSync(dir, { recursive: true, force: true });
  });
  afterEach(() => env.restore());

  it('`chatops discord register --guild ID` overwrites the commands idempotently and prints them; a secret input is no option', async () => {
    env.set(dir, { DISCORD_TOKEN: h.fake.token, DISCORD_APPLICATION_ID: h.fake.applicationId, DISCORD_API_URL: h.fake.apiUrl });
    const out: string[] = [];
    const err: string[] = [];
    const io = { out: (l: string) => out.push(l), err: (l: string) => err.push(l) };
    expect(await discordRegister({ guild: '300000000000000000' }, io)).toBe(0);
    const first = h.fake.commands.get('guild:300000000000000000') as { name: string; options?: { name: string; type: number; required?: boolean; choices?: unknown[] }[] }[];
    expect(first.map((c) => c.name).sort()).toEqual(['chatty', 'deploy', 'drip', 'ops', 'restart', 'rotate', 'scale', 'wide']);
    const scale = first.find((c) => c.name === 'scale');
    expect(scale?.options).toEqual([
      { type: 3, name: 'service', description: '{service}', required: true },
      { type: 3, name: 'env', description: 'Where', required: true, choices: [{ name: 'staging', value: 'staging' }, { name: 'prod', value: 'prod' }] },
      { type: 10, name: 'replicas', description: 'input replicas', required: false },
      { type: 5, name: 'dry_run', description: 'input dry_run', required: false },
    ]);
    expect(out).toContain('/scale (4 options)');
    // rotate's only argument fills a secret input: asked for in a modal, so the command has no option.
    expect(first.find((c) => c.name === 'rotate')?.options ?? []).toEqual([]);
    expect(err.join('\n')).not.toContain('not a Discord slash command');
    expect(err.join('\n')).toContain('registered 8 command(s) guild 300000000000000000');
    // Again: the same set (a bulk overwrite), nothing added.
    expect(await discordRegister({ guild: '300000000000000000' }, io)).toBe(0);
    expect((h.fake.commands.get('guild:300000000000000000') as { name: string }[]).map((c) => c.name).sort()).toEqual(first.map((c) => c.name).sort());
    expect(h.fake.calls.filter((c) => c.method === 'PUT').length).toBe(2);
  });

  it('a typed command (/scale service:api env:prod replicas:3) runs like the same /ops line', async () => {
    const channel = '530000000000000001';
    const res = await h.sender.interact(2, { user: ALICE, channel }, {
      id: '400000000000000002',
      name: 'scale',
      type: 1,
      options: [
        { name: 'service', type: 3, value: 'api' },
        { name: 'env', type: 3, value: 'prod' },
        { name: 'replicas', type: 10, value: 3 },
      ],
    });
    expect(res.acked).toBe(true);
    const runId = RUN_ID.exec(JSON.stringify(res.body))?.[0] ?? '';
    expect(runId).not.toBe('');
    const root = await h.fake.waitFor(() => h.fake.inChannel(channel).find((m) => m.content.endsWith(`${runId}: succeeded`)), 30_000, 'final header');
    await h.fake.waitFor(() => h.fake.inChannel(root.id).find((m) => m.content.includes('scaling api in prod to 3 (dry run false)')), 20_000, 'step output');
  });

  it('a typed command with a bad choice is refused with the usage, nothing started', async () => {
    const channel = '530000000000000002';
    const res = await h.sender.interact(2, { user: ALICE, channel }, { id: '400000000000000002', name: 'scale', type: 1, options: [{ name: 'service', type: 3, value: 'api' }, { name: 'env', type: 3, value: 'moon' }] });
    expect(res.acked).toBe(true);
    expect(JSON.stringify(res.body)).toContain('E_INVALID_INPUT'.replace(/_/g, '\\\\_'));
    expect(await h.front.engine.listRuns({ channel })).toEqual([]);
  });

  it('autocomplete of /ops command: offers the commands this user may run that match what is typed', async () => {
    const res = await h.sender.autocomplete({ user: ALICE, channel: '530000000000000003' }, 'res');
    expect(res.body).toMatchObject({ type: 8 });
    const choices = (res.body as { data: { choices: { name: string; value: string }[] } }).data.choices;
    expect(choices[0]).toEqual({ name: 'res', value: 'res' });
    expect(choices.map((c) => c.value)).toContain('restart api on web-1');
    expect(choices.every((c) => c.name.length <= 100 && c.value.length <= 100)).toBe(true);
    const none = await h.sender.autocomplete({ user: '200000000000000099', channel: '530000000000000003' }, 'res');
    expect(JSON.stringify(none.body)).not.toContain('restart api');
  });
});
