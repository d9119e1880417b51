import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { validateCommand } from '../../src/cli/validate.js';
import { writeProject } from '../helpers/project-dir.js';

describe('chatops validate: commands that cannot be Discord slash commands', () => {
  let dir: string;
  beforeAll(async () => {
    ({ dir } = await writeProject(
      {
        'workflows/rotate.yaml': 'name: rotate\ninputs:\n  password: { type: string, required: true, secret: true }\nsteps:\n  - id: r\n    run: echo rotated\n',
        'workflows/wide.yaml': `name: wide\ninputs:\n${Array.from({ length: 26 }, (_, i) => `  in${i}: { type: string }`).join('\n')}\nsteps:\n  - id: w\n    run: echo wide\n`,
        'workflows/fine.yaml': 'name: fine\nsteps:\n  - id: f\n    run: echo fine\n',
        'commands/rotate.yaml': 'name: rotate\ndescription: Rotate a password.\nusage: rotate {password}\nworkflow: rotate\n',
        'commands/wide.yaml': 'name: wide\nusage: wide\nworkflow: wide\n',
        'commands/fine.yaml': 'name: fine\nusage: fine\nworkflow: fine\n',
        'policy.yaml': 'roles:\n  ops: { members: [shell:alice] }\nrules:\n  - { commands: [rotate, wide, fine], roles: [ops] }\n',
      },
      'discord-validate',
    ));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reports each at its usage line as a warning, and does not fail (a secret input is not one)', async () => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await validateCommand([dir], { out: (l) => out.push(l), err: (l) => err.push(l) });
    expect(code).toBe(0);
    expect(out.filter((l) => l.includes('not a Discord slash command'))).toHaveLength(1);
    expect(out.some((l) => l.includes('fine.yaml'))).toBe(false);
    // A secret input is no reason: it is asked for in a modal, never an option.
    expect(out.some((l) => l.includes(join('commands', 'rotate.yaml')) && l.includes('Discord'))).toBe(false);
    expect(out.find((l) => l.includes('wide.yaml') && l.includes('Discord'))).toMatch(/wide\.yaml:2:1: warning: not a Discord slash command: 26 options, over Discord's 25/);
    expect(err.join('\n')).toContain('2 warning(s)');
  });
});
