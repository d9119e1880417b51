/**
 * Files that would exhaust a loading process (alias bombs, deep nesting, huge files, huge
 * workflows) are reported with their path and left out; the rest of the project still loads.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateCommand, type Output } from '../../src/cli/validate.js';
import { loadCommandText, loadWorkflowText } from '../../src/config/load-files.js';
import { loadProject } from '../../src/config/load-project.js';
import { BUILTIN_COMMAND_NAMES } from '../../src/config/command-schema.js';
import { FILE_LIMITS, formatProblem } from '../../src/config/yaml-source.js';
import { BUILTINS } from '../../src/chat/help.js';
import { MAX_STEPS } from '../../src/workflow/schema.js';

function check(yaml: string): string[] {
  return loadWorkflowText('wf.yaml', yaml).problems.map(formatProblem);
}

/** The classic "billion laughs": each level repeats the one before ten times. */
const BOMB = [
  'name: bomb',
  'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
  ...'bcdefghi'.split('').map((l, i) => `${l}: &${l} [${Array(10).fill(`*${'abcdefghi'[i] ?? ''}`).join(',')}]`),
  'steps:',
  '  - id: a',
  '    run: echo hi',
  '',
].join('\n');

/** A chain of n steps, each needing the one before. */
function chain(n: number, failure = 0): string {
  const lines = ['name: big', 'steps:'];
  for (let i = 0; i < n; i++) lines.push(`  - id: s${i}`, ...(i > 0 ? [`    needs: s${i - 1}`] : []), `    run: echo ${i}`);
  if (failure > 0) lines.push('on_failure:');
  for (let i = 0; i < failure; i++) lines.push(`  - id: f${i}`, '    run: echo f');
  return `${lines.join('\n')}\n`;
}

function capture(): Output & { outLines: string[]; errLines: string[] } {
  const outLines: string[] = [];
  const errLines: string[] = [];
  return { outLines, errLines, out: (l) => outLines.push(l), err: (l) => errLines.push(l) };
}

describe('aliases', () => {
  it('refuses an alias bomb at the alias that blows up, naming the file', () => {
    const problems = check(BOMB);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^wf\.yaml:\d+:\d+: alias \*\w expands the document past 200,000 values .*alias bomb \(E_YAML_ALIASES\)$/);
    const line = Number(/^wf\.yaml:(\d+):/.exec(problems[0] ?? '')?.[1]);
    expect(BOMB.split('\n')[line - 1]).toMatch(/^[a-i]: &/);
  });

  it('accepts one anchor used 300 times', () => {
    const env = Array.from({ length: 300 }, (_, i) => `  - id: s${i}\n    env: *common\n    run: echo "$REGION"`).join('\n');
    expect(check(`name: many\nenv: &common { REGION: eu-west-1 }\nsteps:\n${env}\n`)).toEqual([]);
  });

  it('refuses more aliases than the limit, and an alias inside its own anchor', () => {
    const many = Array.from({ length: FILE_LIMITS.maxAliases + 1 }, () => '*x').join(', ');
    expect(check(`name: t\ndescription: &x d\nlist: [${many}]\nsteps: [{ id: a, run: echo }]\n`)).toEqual([expect.stringMatching(/^wf\.yaml:3:\d+: more than 1,000 aliases \(\*x\) in one file \(E_YAML_ALIASES\)/)]);
    expect(check('name: t\nenv: &e { A: [*e] }\nsteps: [{ id: a, run: echo }]\n')).toEqual([expect.stringMatching(/^wf\.yaml:2:15: alias \*e is inside the anchor &e it repeats/)]);
  });
});

describe('other shapes that would exhaust a loader', () => {
  it('refuses deep nesting, shallow or very deep', () => {
    const deep = (d: number) => `name: t\nsteps: [{ id: a, http: { url: 'http://h/', body: ${'['.repeat(d)}${']'.repeat(d)} } }]\n`;
    expect(check(deep(80))).toEqual([expect.stringMatching(/^wf\.yaml:2:\d+: nested more than 64 levels deep \(E_YAML_DEPTH\)/)]);
    expect(check(deep(100_000))).toEqual([expect.stringMatching(/^wf\.yaml:2:\d+: YAML syntax error: nested too deeply to parse/)]);
    expect(check(deep(20))).toEqual([]);
  });

  it('refuses a file over the size limit without parsing it', () => {
    const big = `name: t\ndescription: "${'x'.repeat(FILE_LIMITS.maxBytes)}"\nsteps: [{ id: a, run: echo }]\n`;
    expect(check(big)).toEqual([expect.stringMatching(/^wf\.yaml:1:1: file too large: 1,048,6\d\d bytes, the limit is 1,048,576 \(E_FILE_TOO_LARGE\)/)]);
  });
});

describe('the step cap', () => {
  it(`accepts ${MAX_STEPS} steps including on_failure`, () => {
    expect(check(chain(MAX_STEPS - 10, 10))).toEqual([]);
  });

  it('refuses one more at the first step over the cap, cheaply for a far bigger file', () => {
    expect(check(chain(MAX_STEPS - 10, 11))).toEqual([
      expect.stringMatching(/^wf\.yaml:\d+:5: on_failure\[10\]: too many steps: 1,001 \(990 under steps, 11 under on_failure\), a workflow holds at most 1,000 \(E_TOO_MANY_STEPS\); split it into sub-workflows/),
    ]);
    const text = chain(20_000);
    const problems = check(text);
    expect(problems).toEqual([expect.stringMatching(/^wf\.yaml:\d+:5: steps\[1000\]: too many steps: 20,000/)]);
    const line = Number(/^wf\.yaml:(\d+):/.exec(problems[0] ?? '')?.[1]);
    expect(text.split('\n')[line - 1]).toBe('  - id: s1000');
  });

  it('still checks which steps an expression may read in a long chain', () => {
    const text = chain(MAX_STEPS).replace('  - id: s999\n    needs: s998\n    run: echo 999', "  - id: s999\n    needs: s998\n    notify: '${{ steps.s0.outcome }} ${{ steps.s999x.outcome }}'");
    expect(check(text)).toEqual([expect.stringMatching(/steps\[999\]\.notify: steps\.s999x refers to no step/)]);
    const unordered = text.replace("${{ steps.s999x.outcome }}'", "'\n  - id: side\n    notify: '${{ steps.s3.outcome }}'");
    expect(check(unordered)).toEqual([expect.stringMatching(/steps\[1000\]: too many steps/)]);
  });
});

describe('built-in command names', () => {
  it('match the built-ins the chat router answers', () => {
    expect([...BUILTIN_COMMAND_NAMES].sort()).toEqual([...BUILTINS].sort());
  });

  it.each(['help', 'approve', 'cancel', 'status'])('refuses a command named %s at its name', (name) => {
    const { value, problems } = loadCommandText('commands/x.yaml', `name: ${name}\nusage: ${name} {service}\nworkflow: restart\n`);
    expect(value).toBeUndefined();
    expect(problems.map(formatProblem)).toEqual([expect.stringMatching(new RegExp(`^commands/x\\.yaml:1:7: name: \`${name}\` is a built-in command, which always answers first.*rename the command \\(E_BUILTIN_NAME\\)$`))]);
  });
});

describe('a project with such files', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'chatops-limits-'));
    await mkdir(join(dir, 'workflows'));
    await mkdir(join(dir, 'commands'));
    await writeFile(join(dir, 'workflows', 'bomb.yaml'), BOMB);
    await writeFile(join(dir, 'workflows', 'huge.yaml'), `name: huge\ndescription: "${'x'.repeat(FILE_LIMITS.maxBytes)}"\nsteps: [{ id: a, run: echo }]\n`);
    await writeFile(join(dir, 'workflows', 'toolong.yaml'), chain(5000));
    await writeFile(join(dir, 'workflows', 'restart.yaml'), 'name: restart\ninputs: { service: { type: string, required: true } }\nsteps:\n  - id: a\n    run: echo "$S"\n    env: { S: "${{ inputs.service }}" }\n');
    await writeFile(join(dir, 'workflows', 'typo.yaml'), 'name: typo\nsteps:\n  - id: a\n    runn: echo\n');
    await writeFile(join(dir, 'commands', 'restart.yaml'), 'name: restart\nusage: restart {service}\nworkflow: restart\n');
    await writeFile(join(dir, 'commands', 'cancel.yaml'), 'name: cancel\nusage: cancel {service}\nworkflow: restart\n');
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('loads the rest and reports each bad file with its path (the loader of serve, worker and shell)', async () => {
    const project = await loadProject(dir);
    expect([...project.workflows.keys()]).toEqual(['restart']);
    expect([...project.commands.keys()]).toEqual(['restart']);
    const errors = project.problems.filter((p) => p.severity === 'error').map((p) => `${p.file.replace(`${dir}/`, '')}:${p.line}: ${p.message.slice(0, 30)}`);
    expect(errors).toEqual([
      expect.stringMatching(/^commands\/cancel\.yaml:1: name: `cancel` is a built-in/),
      expect.stringMatching(/^workflows\/bomb\.yaml:\d+: alias \*/),
      expect.stringMatching(/^workflows\/huge\.yaml:1: file too large/),
      expect.stringMatching(/^workflows\/toolong\.yaml:\d+: steps\[1000\]: too many steps/),
      expect.stringMatching(/^workflows\/typo\.yaml:3: steps\[0\]: a step needs/),
      expect.stringMatching(/^workflows\/typo\.yaml:4: steps\[0\]\.runn: unknown key/),
    ]);
  });

  it('is reported whole by validate, every problem located', async () => {
    const io = capture();
    expect(await validateCommand([dir], io)).toBe(1);
    expect(io.outLines.filter((l) => !l.includes('warning:'))).toHaveLength(6);
    for (const file of ['bomb', 'huge', 'toolong', 'typo']) expect(io.outLines.some((l) => l.includes(`workflows/${file}.yaml:`))).toBe(true);
    expect(io.errLines.join('\n')).toMatch(/6 error\(s\)/);
  });
});
