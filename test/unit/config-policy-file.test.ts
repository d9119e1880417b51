/** Finding policy.yaml fails closed: look-alike names and dangling links are errors that lock everything, never "no policy". */
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateCommand, type Output } from '../../src/cli/validate.js';
import { loadProject } from '../../src/config/load-project.js';
import { mayRun, policyLocked } from '../../src/config/policy.js';

const POLICY = 'roles:\n  sre: { members: [shell:bob] }\nrules:\n  - { commands: [hello], roles: [sre] }\n';
const WORKFLOW = 'name: hello\nsteps:\n  - id: a\n    run: echo hi\n';
const COMMAND = 'name: hello\nusage: hello\nworkflow: hello\n';

let dir: string;

async function project(files: Record<string, string>): Promise<string> {
  const root = await mkdtemp(join(dir, 'p-'));
  await mkdir(join(root, 'workflows'));
  await mkdir(join(root, 'commands'));
  await writeFile(join(root, 'workflows', 'hello.yaml'), WORKFLOW);
  await writeFile(join(root, 'commands', 'hello.yaml'), COMMAND);
  for (const [name, text] of Object.entries(files)) await writeFile(join(root, name), text);
  return root;
}

function capture(): Output & { outLines: string[]; errLines: string[] } {
  const outLines: string[] = [];
  const errLines: string[] = [];
  return { outLines, errLines, out: (l) => outLines.push(l), err: (l) => errLines.push(l) };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'chatops-policy-file-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('a policy under another name', () => {
  it.each(['policy.yml', 'Policy.yaml', 'POLICY.YML', 'policy.json'])('%s is an error naming the file and the fix, and locks every command', async (name) => {
    const root = await project({ [name]: POLICY });
    const p = await loadProject(root);
    expect(policyLocked(p.policy)).toBe(true);
    expect(mayRun(p.policy, { command: 'hello', roles: ['sre'], channel: '*' })).toBe(false);
    const errors = p.problems.filter((x) => x.severity === 'error');
    expect(errors).toHaveLength(1);
    expect(errors[0]?.file).toBe(join(root, name));
    expect(errors[0]?.message).toContain(`a policy file must be named exactly policy.yaml`);
    expect(errors[0]?.message).toContain(`mv ${name} policy.yaml`);
    expect(p.problems.some((x) => x.message.includes('no policy file'))).toBe(false);

    const io = capture();
    expect(await validateCommand([root], io)).toBe(1);
    expect(io.outLines).toEqual([expect.stringMatching(new RegExp(`${name.replace('.', '\\.')}:1:1: a policy file must be named exactly policy\\.yaml`))]);
    // Validating the file alone names it too.
    const alone = capture();
    expect(await validateCommand([join(root, name)], alone)).toBe(1);
    expect(alone.outLines).toHaveLength(1);
  });

  it('beside a good policy.yaml is still an error (which one was meant?)', async () => {
    const root = await project({ 'policy.yaml': POLICY, 'policy.yml': POLICY });
    const p = await loadProject(root);
    expect(policyLocked(p.policy)).toBe(true);
    expect(p.problems.filter((x) => x.severity === 'error').map((x) => x.message)).toEqual([expect.stringContaining('merge it into policy.yaml and delete it')]);
  });

  it('a good policy.yaml alone loads (other policy-like names such as policy.yaml.example are not read)', async () => {
    const root = await project({ 'policy.yaml': POLICY, 'policy.yaml.example': 'x' });
    const p = await loadProject(root);
    expect(policyLocked(p.policy)).toBe(false);
    expect(mayRun(p.policy, { command: 'hello', roles: ['sre'], channel: '*' })).toBe(true);
    expect(p.problems).toEqual([]);
  });
});

describe('a dangling policy.yaml link (a failed ConfigMap mount)', () => {
  it('is an error naming the link and its target, and locks every command', async () => {
    const root = await project({});
    await symlink(join(root, '..data', 'policy.yaml'), join(root, 'policy.yaml'));
    const p = await loadProject(root);
    expect(policyLocked(p.policy)).toBe(true);
    expect(p.problems).toEqual([
      expect.objectContaining({ file: join(root, 'policy.yaml'), line: 1, col: 1, severity: 'error', message: expect.stringContaining(`symbolic link to ${join(root, '..data', 'policy.yaml')}, which does not exist`) }),
    ]);
    const io = capture();
    expect(await validateCommand([root], io)).toBe(1);
  });

  it('a link to a real file is read as usual', async () => {
    const root = await project({ 'real.yaml': POLICY });
    await symlink('real.yaml', join(root, 'policy.yaml'));
    const p = await loadProject(root);
    expect(policyLocked(p.policy)).toBe(false);
    expect(p.policy?.roles.sre?.members).toEqual(['shell:bob']);
  });
});

describe('no policy file at all', () => {
  it('is a warning, and the policy is open (for the terminal)', async () => {
    const root = await project({});
    const p = await loadProject(root);
    expect(p.policy).toBeUndefined();
    expect(p.problems).toEqual([expect.objectContaining({ severity: 'warning', message: expect.stringContaining('no policy file') })]);
  });
});
