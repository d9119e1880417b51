/**
 * Live reload and the files a change does not touch: a change that would make another file, good
 * before, invalid (a workflow called by another, named by a command, whose approval roles the
 * policy grants) is refused as a broken edit, naming both files. Real ProjectHolder on real folders.
 */
import { describe, expect, it } from '@jest/globals';
import { renameSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { formatProblem } from '../../src/config/yaml-source.js';
import { ProjectHolder, type ReloadOutcome } from '../../src/reload/project-holder.js';
import { putFile } from '../helpers/project-dir.js';
import { projectDirsRemovedAfterEach } from '../helpers/temp-projects.js';

/** `child`: one step; `inputs` is the YAML of its inputs (none by default). */
const child = (name = 'child', inputs = '{}') => `name: ${name}\ninputs: ${inputs}\nsteps:\n  - id: work\n    run: "true"\n`;
/** `parent`: calls `child` (line 5, column 23 is the called name) with `with` as its inputs. */
const parent = (callee = 'child', withInputs = '{}', extra = false) =>
  `name: parent\nsteps:\n  - id: first\n    run: "true"\n  - id: sub\n    workflow: { name: ${callee}, inputs: ${withInputs} }\n${extra ? '  - id: last\n    run: "true"\n' : ''}`;
const CMD = 'name: kick\nusage: kick child\nworkflow: child\n';
const POLICY = (roles: string) => `roles:\n${roles}rules:\n  - commands: ["*"]\n    roles: [ops]\n`;
const OPS = '  ops:\n    members: ["shell:alice"]\n';
const DBA = '  dba:\n    members: ["slack-group:S0DBA"]\n';

const project = projectDirsRemovedAfterEach('reload-deps');
const put = putFile;

const names = (h: ProjectHolder) => [...h.project.workflows.keys()].sort();
const lines = (o: ReloadOutcome) => o.refused.flatMap((r) => r.problems.map(formatProblem));
async function open(dir: string): Promise<ProjectHolder> {
  const h = await ProjectHolder.open(dir);
  expect(h.project.problems.filter((p) => p.severity === 'error')).toEqual([]);
  return h;
}

describe('ProjectHolder: a change that breaks a file it does not touch is refused', () => {
  it('deleting a workflow another one calls keeps both in force and names both files (with where the call is)', async () => {
    const dir = project({ 'workflows/child.yaml': child(), 'workflows/parent.yaml': parent(), 'commands/go.yaml': 'name: go\nusage: go\nworkflow: parent\n' });
    const h = await open(dir);
    const v1 = h.version;
    unlinkSync(join(dir, 'workflows/child.yaml'));
    const o = await h.reload();
    expect(o.result).toBe('failed');
    expect(o.refused).toEqual([expect.objectContaining({ file: expect.stringMatching(/workflows\/child\.yaml$/), keptLastGood: true })]);
    // Every file it would break is named, the command that starts `parent` too.
    expect(lines(o)).toEqual([
      expect.stringMatching(/workflows\/child\.yaml:1:1: removing this file would break \S*commands\/go\.yaml:3:11: .*workflow `parent` has errors/),
      expect.stringMatching(/workflows\/child\.yaml:1:1: removing this file would break \S*workflows\/parent\.yaml:6:23: .*no workflow named `child`/),
    ]);
    expect(names(h)).toEqual(['child', 'parent']);
    expect(h.project.commands.has('go')).toBe(true);
    expect(h.version).toBe(v1);
    // It stays refused, and is not told again, while the file stays deleted.
    expect(await h.reload()).toMatchObject({ result: 'unchanged', refused: [] });
    expect(h.refused).toHaveLength(1);
    // Once nothing calls it, the deletion goes through.
    put(dir, 'workflows/parent.yaml', 'name: parent\nsteps:\n  - id: first\n    run: "true"\n');
    expect((await h.reload()).result).toBe('ok');
    expect(names(h)).toEqual(['parent']);
    expect(h.refused).toEqual([]);
  });

  it('renaming the workflow (its name:) or breaking the inputs its callers give is refused the same way', async () => {
    const dir = project({ 'workflows/child.yaml': child('child', '{ x: { type: string } }'), 'workflows/parent.yaml': parent('child', '{ x: a }') });
    const h = await open(dir);
    put(dir, 'workflows/child.yaml', child('kid', '{ x: { type: string } }'));
    const renamed = await h.reload();
    expect(renamed.result).toBe('failed');
    expect(lines(renamed)).toEqual([expect.stringMatching(/workflows\/child\.yaml:1:1: this change would break \S*workflows\/parent\.yaml:6:23: .*no workflow named `child`/)]);
    expect(names(h)).toEqual(['child', 'parent']);

    put(dir, 'workflows/child.yaml', child('child', '{ y: { type: string, required: true } }'));
    const inputs = await h.reload();
    expect(inputs.result).toBe('failed');
    expect(lines(inputs).join('\n')).toMatch(/workflows\/child\.yaml:1:1: this change would break \S*workflows\/parent\.yaml:\d+:\d+: .*has no input `x`/);
    expect(lines(inputs).join('\n')).toMatch(/would break \S*workflows\/parent\.yaml:\d+:\d+: .*requires input `y`/);
    expect(names(h)).toEqual(['child', 'parent']);
    expect(h.project.workflows.get('child')?.inputs).toHaveProperty('x');
  });

  it('moving the file under another name keeps the workflow, so it is not refused', async () => {
    const dir = project({ 'workflows/child.yaml': child(), 'workflows/parent.yaml': parent() });
    const h = await open(dir);
    renameSync(join(dir, 'workflows/child.yaml'), join(dir, 'workflows/kid.yaml'));
    expect(await h.reload()).toMatchObject({ result: 'ok', refused: [] });
    expect(h.project.workflowFiles.get('child')).toMatch(/workflows\/kid\.yaml$/);
  });

  it('deleting a workflow a command names keeps the command and the workflow, naming the command file', async () => {
    const dir = project({ 'workflows/child.yaml': child(), 'commands/kick.yaml': CMD });
    const h = await open(dir);
    unlinkSync(join(dir, 'workflows/child.yaml'));
    const o = await h.reload();
    expect(o.result).toBe('failed');
    expect(lines(o)).toEqual([expect.stringMatching(/workflows\/child\.yaml:1:1: removing this file would break \S*commands\/kick\.yaml:3:11: .*no workflow named `child`/)]);
    expect(h.project.commands.has('kick')).toBe(true);
    expect(names(h)).toEqual(['child']);
  });

  it('a change made with its callers in the same reload goes through; a caller edited but still calling keeps the callee', async () => {
    const dir = project({ 'workflows/child.yaml': child('child', '{ x: { type: string } }'), 'workflows/parent.yaml': parent('child', '{ x: a }') });
    const h = await open(dir);
    put(dir, 'workflows/child.yaml', child('child', '{ y: { type: string } }'));
    put(dir, 'workflows/parent.yaml', parent('child', '{ y: a }'));
    expect(await h.reload()).toMatchObject({ result: 'ok', refused: [] });
    expect(h.project.workflows.get('child')?.inputs).toHaveProperty('y');

    // The caller's own edit is good; the deletion that would break it is what is refused.
    unlinkSync(join(dir, 'workflows/child.yaml'));
    put(dir, 'workflows/parent.yaml', parent('child', '{ y: a }', true));
    const o = await h.reload();
    expect(o.result).toBe('failed');
    expect(o.refused.map((r) => r.file)).toEqual([expect.stringMatching(/workflows\/child\.yaml$/)]);
    expect(o.changed).toEqual([expect.stringMatching(/workflows\/parent\.yaml$/)]);
    expect(h.project.workflows.get('parent')?.steps.map((s) => s.id)).toEqual(['first', 'sub', 'last']);
    expect(names(h)).toEqual(['child', 'parent']);
  });

  it('two changes that each break the same caller are both refused; an unrelated edit of the same reload goes in', async () => {
    const both = 'name: parent\nsteps:\n  - id: a\n    workflow: { name: child }\n  - id: b\n    workflow: { name: other }\n';
    const dir = project({ 'workflows/child.yaml': child(), 'workflows/other.yaml': child('other'), 'workflows/parent.yaml': both, 'workflows/solo.yaml': child('solo') });
    const h = await open(dir);
    put(dir, 'workflows/child.yaml', child('child', '{ y: { type: string, required: true } }'));
    unlinkSync(join(dir, 'workflows/other.yaml'));
    put(dir, 'workflows/solo.yaml', child('solo', '{ z: { type: string } }'));
    const o = await h.reload();
    expect(o.result).toBe('failed');
    expect(lines(o)).toEqual([
      expect.stringMatching(/workflows\/child\.yaml:1:1: this change would break \S*workflows\/parent\.yaml:4:\d+: .*requires input `y`/),
      expect.stringMatching(/workflows\/other\.yaml:1:1: removing this file would break \S*workflows\/parent\.yaml:6:\d+: .*no workflow named `other`/),
    ]);
    expect(o.changed).toEqual([expect.stringMatching(/workflows\/solo\.yaml$/)]);
    expect(names(h)).toEqual(['child', 'other', 'parent', 'solo']);
    expect(h.project.workflows.get('child')?.inputs).toEqual({});
  });

  it('changes that break a caller only together are refused together, each naming the other; an unrelated edit goes in', async () => {
    const dir = project({ 'workflows/child.yaml': child(), 'workflows/parent.yaml': parent(), 'workflows/solo.yaml': child('solo') });
    const h = await open(dir);
    // `child` moves to a new file that also asks for an input `parent` does not give: taking back
    // either change alone still leaves `parent` broken (no `child`, or one it cannot call).
    unlinkSync(join(dir, 'workflows/child.yaml'));
    put(dir, 'workflows/a-child.yaml', child('child', '{ y: { type: string, required: true } }'));
    put(dir, 'workflows/solo.yaml', child('solo', '{ z: { type: string } }'));
    const o = await h.reload();
    expect(o.result).toBe('failed');
    expect(o.refused.map((r) => [r.file.replace(/.*workflows\//, ''), r.keptLastGood])).toEqual([
      ['a-child.yaml', false],
      ['child.yaml', true],
    ]);
    expect(lines(o)).toEqual([
      expect.stringMatching(/a-child\.yaml:1:1: this new file, together with \S*workflows\/child\.yaml, would break \S*parent\.yaml:6:\d+: .*requires input `y`/),
      expect.stringMatching(/workflows\/child\.yaml:1:1: removing this file, together with \S*workflows\/a-child\.yaml, would break \S*parent\.yaml:6:\d+: .*requires input `y`/),
    ]);
    expect(o.changed).toEqual([expect.stringMatching(/workflows\/solo\.yaml$/)]);
    expect(names(h)).toEqual(['child', 'parent', 'solo']);
    expect(h.project.workflowFiles.get('child')).toMatch(/workflows\/child\.yaml$/);
  });

  it('a new command that collides with a command in force is refused, not the one in force', async () => {
    const dir = project({ 'workflows/child.yaml': child(), 'commands/kick.yaml': CMD });
    const h = await open(dir);
    put(dir, 'commands/a-kick.yaml', 'name: kick\nusage: kick child now\nworkflow: child\n');
    const o = await h.reload();
    expect(o.result).toBe('failed');
    expect(o.refused).toEqual([expect.objectContaining({ file: expect.stringMatching(/commands\/a-kick\.yaml$/), keptLastGood: false })]);
    expect(lines(o).join('\n')).toMatch(/commands\/a-kick\.yaml:1:1: this new file would break \S*commands\/kick\.yaml:1:7: name: command `kick` collides/);
    expect(h.project.commands.get('kick')?.file).toMatch(/commands\/kick\.yaml$/);
  });

  it('a policy edit that leaves an approval nobody can give keeps the last good policy, naming the workflow', async () => {
    const gated = 'name: gated\nsteps:\n  - id: ask\n    approval: { message: "go?", roles: [dba] }\n';
    const dir = project({ 'workflows/gated.yaml': gated, 'policy.yaml': POLICY(OPS + DBA) });
    const h = await open(dir);
    const before = h.project.policy;
    put(dir, 'policy.yaml', POLICY(OPS));
    const o = await h.reload();
    expect(o.result).toBe('failed');
    expect(lines(o).join('\n')).toMatch(/policy\.yaml:1:1: this change would break \S*workflows\/gated\.yaml:4:41: .*no role `dba`/);
    expect(h.project.policy).toEqual(before);
    expect(names(h)).toEqual(['gated']);
  });

  it('a file already left out at start is no reason to refuse: start-up leaves bad files out, and a reload can mend them', async () => {
    const dir = project({ 'workflows/parent.yaml': parent(), 'workflows/other.yaml': child('other') });
    const h = await ProjectHolder.open(dir);
    expect(names(h)).toEqual(['other']);
    expect(h.project.problems.filter((p) => p.severity === 'error').map(formatProblem)).toEqual([expect.stringMatching(/workflows\/parent\.yaml:6:23: .*no workflow named `child`/)]);
    unlinkSync(join(dir, 'workflows/other.yaml'));
    expect(await h.reload()).toMatchObject({ result: 'ok', refused: [] });
    expect(names(h)).toEqual([]);
    put(dir, 'workflows/child.yaml', child());
    expect(await h.reload()).toMatchObject({ result: 'ok', refused: [] });
    expect(names(h)).toEqual(['child', 'parent']);
  });
});
