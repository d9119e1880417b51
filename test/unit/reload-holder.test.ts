import { describe, expect, it } from '@jest/globals';
import { rmSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { ProjectHolder } from '../../src/reload/project-holder.js';
import { relevantPath, watchProject } from '../../src/reload/watch.js';
import { until } from '../helpers/until.js';
import { putFile } from '../helpers/project-dir.js';
import { projectDirsRemovedAfterEach } from '../helpers/temp-projects.js';

const wf = (echo: string) => `name: hello\nsteps:\n  - id: say\n    run: echo ${echo}\n`;
const CMD = 'name: hello\nusage: hello\nworkflow: hello\n';
const POLICY = 'roles:\n  ops:\n    members: ["shell:alice"]\nrules:\n  - commands: ["*"]\n    roles: [ops]\n';

const project = projectDirsRemovedAfterEach('reload-unit');
const put = putFile;
const say = (h: ProjectHolder) => h.project.workflows.get('hello')?.steps[0]?.run;


describe('ProjectHolder: a reload keeps the last good version of a broken file', () => {
  it('puts a valid edit in force with a new version, the same for every holder of the same files', async () => {
    const dir = project({ 'workflows/hello.yaml': wf('one'), 'commands/hello.yaml': CMD, 'policy.yaml': POLICY });
    const h = await ProjectHolder.open(dir);
    expect(h.project.problems.filter((p) => p.severity === 'error')).toEqual([]);
    const v1 = h.version;
    expect(v1).toMatch(/^[0-9a-f]{16}$/);
    expect((await h.reload()).result).toBe('unchanged');
    put(dir, 'workflows/hello.yaml', wf('two'));
    const o = await h.reload();
    expect(o).toMatchObject({ result: 'ok', refused: [] });
    expect(o.changed).toEqual([expect.stringMatching(/workflows\/hello\.yaml$/)]);
    expect(say(h)).toBe('echo two');
    expect(h.version).not.toBe(v1);
    expect((await ProjectHolder.open(dir)).version).toBe(h.version);
  });

  it('a broken edit is refused with file:line:col, reported once, and mended by the next good edit', async () => {
    const dir = project({ 'workflows/hello.yaml': wf('one'), 'commands/hello.yaml': CMD, 'policy.yaml': POLICY });
    const h = await ProjectHolder.open(dir);
    const v1 = h.version;
    put(dir, 'workflows/hello.yaml', 'name: hello\nsteps:\n  - id: say\n    run: echo two\n    bogus: 1\n');
    const o = await h.reload();
    expect(o.result).toBe('failed');
    expect(o.refused).toHaveLength(1);
    expect(o.refused[0]).toMatchObject({ file: expect.stringMatching(/workflows\/hello\.yaml$/), keptLastGood: true });
    expect(o.refused[0]?.problems[0]).toMatchObject({ line: 5, col: 5, severity: 'error' });
    expect(say(h)).toBe('echo one');
    expect(h.project.commands.has('hello')).toBe(true); // its command stays, with the last good workflow
    expect(h.version).toBe(v1);
    // The same broken text again (a second save, a watch event) is not reported again; it stays refused.
    expect(await h.reload()).toMatchObject({ result: 'unchanged', refused: [] });
    expect(h.refused).toHaveLength(1);
    put(dir, 'workflows/hello.yaml', wf('three'));
    expect((await h.reload()).result).toBe('ok');
    expect(say(h)).toBe('echo three');
    expect(h.refused).toEqual([]);
  });

  it('a command edited to name an unknown workflow keeps its last good text (cross-checks count as errors)', async () => {
    const dir = project({ 'workflows/hello.yaml': wf('one'), 'commands/hello.yaml': CMD, 'policy.yaml': POLICY });
    const h = await ProjectHolder.open(dir);
    put(dir, 'commands/hello.yaml', 'name: hello\nusage: hello\nworkflow: helo\n');
    const o = await h.reload();
    expect(o.refused.map((r) => r.file)).toEqual([expect.stringMatching(/commands\/hello\.yaml$/)]);
    expect(h.project.commands.get('hello')?.workflow).toBe('hello');
  });

  it('a new broken file is left out and reported; a removed workflow is removed', async () => {
    const dir = project({ 'workflows/hello.yaml': wf('one'), 'workflows/other.yaml': 'name: other\nsteps:\n  - id: a\n    run: "true"\n', 'policy.yaml': POLICY });
    const h = await ProjectHolder.open(dir);
    put(dir, 'workflows/new.yaml', 'name: new\nsteps: [\n');
    unlinkSync(join(dir, 'workflows/other.yaml'));
    const o = await h.reload();
    expect(o.result).toBe('failed');
    expect(o.refused).toEqual([expect.objectContaining({ file: expect.stringMatching(/workflows\/new\.yaml$/), keptLastGood: false })]);
    expect([...h.project.workflows.keys()]).toEqual(['hello']);
    // A replica that starts now reads the broken file and leaves it out too: the same version.
    expect((await ProjectHolder.open(dir)).version).toBe(h.version);
  });

  it('the policy fails closed: a broken or removed policy.yaml keeps the last good one', async () => {
    const dir = project({ 'workflows/hello.yaml': wf('one'), 'commands/hello.yaml': CMD, 'policy.yaml': POLICY });
    const h = await ProjectHolder.open(dir);
    const before = h.project.policy;
    put(dir, 'policy.yaml', 'roles: [\n');
    expect((await h.reload()).refused.map((r) => r.file)).toEqual([expect.stringMatching(/policy\.yaml$/)]);
    expect(h.project.policy).toEqual(before);
    unlinkSync(join(dir, 'policy.yaml'));
    const gone = await h.reload();
    expect(gone.refused[0]?.problems[0]?.message).toMatch(/policy file removed/);
    expect(h.project.policy).toEqual(before);
  });
  it('a policy that locked every command at start stays locked when it is removed (no policy takes a restart)', async () => {
    const dir = project({ 'workflows/hello.yaml': wf('one'), 'commands/hello.yaml': CMD, 'Policy.yml': POLICY });
    const h = await ProjectHolder.open(dir);
    const locked = h.project.policy;
    expect(locked).toBeDefined();
    unlinkSync(join(dir, 'Policy.yml'));
    put(dir, 'workflows/hello.yaml', wf('two'));
    const o = await h.reload();
    expect(o.result).toBe('failed');
    expect(o.refused[0]?.problems[0]?.message).toMatch(/policy file removed: every command stays locked/);
    expect(say(h)).toBe('echo two');
    expect(h.project.policy).toEqual(locked);
  });
  it('alerts.yaml: an edit is in force, a broken one keeps the last good routes', async () => {
    const routes = (channel: string) => `routes:\n  - match: { severity: critical }\n    channel: ${channel}\n`;
    const dir = project({ 'workflows/hello.yaml': wf('one'), 'alerts.yaml': routes('slack:C0ONE') });
    const h = await ProjectHolder.open(dir);
    const channel = () => h.project.alerts?.routes[0]?.channel;
    expect(channel()).toBe('slack:C0ONE');
    put(dir, 'alerts.yaml', routes('slack:C0TWO'));
    expect((await h.reload()).result).toBe('ok');
    expect(channel()).toBe('slack:C0TWO');
    put(dir, 'alerts.yaml', 'routes:\n  - match: { severity: critical }\n    chanel: slack:C0THREE\n');
    const o = await h.reload();
    expect(o.refused.map((r) => r.file)).toEqual([expect.stringMatching(/alerts\.yaml$/)]);
    expect(channel()).toBe('slack:C0TWO');
  });
  it('reloads asked for during one run once more, after it, and all see the same outcome', async () => {
    const dir = project({ 'workflows/hello.yaml': wf('one') });
    const h = await ProjectHolder.open(dir);
    put(dir, 'workflows/hello.yaml', wf('two'));
    const [a, b, c] = await Promise.all([h.reload(), h.reload(), h.reload()]);
    expect(a).toEqual(b);
    expect(b).toEqual(c);
    expect(a?.result).toBe('ok');
    expect(say(h)).toBe('echo two');
  });
});

describe('watchProject: which paths are the project', () => {
  it('takes workflows/, commands/, policy.yaml, alerts.yaml and a ConfigMap swap, nothing else', () => {
    for (const p of ['workflows/a.yaml', 'workflows', 'commands/x/b.yml', 'policy.yaml', 'Policy.yml', 'alerts.yaml', '..data', '..2026_12_02']) expect([p, relevantPath(p)]).toEqual([p, true]);
    for (const p of ['docs/runbooks/a.md', '.git/index', 'README.md', 'node_modules/x/workflows/a.yaml']) expect([p, relevantPath(p)]).toEqual([p, false]);
  });

  it('still sees edits after workflows/ is removed and made again (a git checkout can do that)', async () => {
    const dir = project({ 'workflows/hello.yaml': wf('one') });
    let calls = 0;
    const w = watchProject(dir, () => calls++, { debounceMs: 20 });
    try {
      const h = await ProjectHolder.open(dir);
      rmSync(join(dir, 'workflows'), { recursive: true });
      put(dir, 'workflows/hello.yaml', wf('two'));
      await until('the watch firing for the new folder', () => calls >= 1);
      const after = calls;
      put(dir, 'workflows/hello.yaml', wf('three'));
      await until('the watch firing for an edit in the new folder', () => calls > after);
      await h.reload();
      expect(say(h)).toBe('echo three');
    } finally {
      w.close();
    }
  });
});
