/**
 * Every broken fixture yields exactly the expected located problems (file:line:col and message),
 * one line per problem, and the good files next to them still load.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatProblem, loadProject, type Project } from '../../src/config/load-project.js';

const ROOT = 'test/fixtures/broken';

async function lines(dir: string): Promise<{ project: Project; lines: string[] }> {
  const project = await loadProject(`${ROOT}/${dir}`);
  return { project, lines: project.problems.map(formatProblem) };
}

/** Each expected entry is the start of one formatted problem line. */
function expectLines(actual: string[], expected: string[]): void {
  expect(actual).toHaveLength(expected.length);
  expected.forEach((prefix, i) => expect(actual[i]).toContain(prefix));
  // Compare the located part exactly so a moved line or column fails loudly.
  expect(actual.map((l) => l.split(': ')[0])).toEqual(expected.map((l) => l.split(': ')[0]));
}

describe('broken project fixture', () => {
  let result: { project: Project; lines: string[] };
  beforeAll(async () => {
    result = await lines('project');
  });

  it('reports every problem at its exact position', () => {
    const w = `${ROOT}/project/workflows`;
    const c = `${ROOT}/project/commands`;
    expectLines(result.lines, [
      `${c}/broken-workflow.yaml:3:11: workflow: workflow \`cycle\` has errors of its own`,
      `${c}/missing-input.yaml:2:8: usage: required input \`service\` of \`good\` is not set by the usage`,
      `${c}/name-mismatch.yaml:2:8: usage: starts with "hello" but the command is named "hello2"`,
      `${c}/no-workflow.yaml:3:11: workflow: no workflow named \`godo\`, did you mean \`good\`?`,
      `${c}/same-name.yaml:1:7: name: command \`hello\` collides with the command of the same name in ${c}/good.yaml`,
      `${c}/wrong-types.yaml:4:11: examples: expected a list, got text "typed api"`,
      `${ROOT}/project/policy.yaml:1:1: warning: no policy file: everyone may run every command`,
      `${w}/bad-duration.yaml:2:10: timeout: expected a duration such as 500ms, 30s, 5m, 2h or 1h30m`,
      `${w}/bad-duration.yaml:5:12: steps[0].sleep: expected a duration`,
      `${w}/bad-expression.yaml:7:16: steps[0].env.SERVICE: invalid expression \`inputs.service ==\``,
      `${w}/cycle.yaml:4:13: steps[0].needs: dependency cycle: a -> c -> b -> a`,
      `${w}/dangling-needs.yaml:6:13: steps[1].needs: \`biuld\` is not a step id in steps, did you mean \`build\`?`,
      `${w}/duplicate-ids.yaml:5:9: steps[1].id: duplicate step id \`build\` (also steps[0])`,
      `${w}/duplicate-key.yaml:5:5: duplicate key \`run\`: a key appears once per mapping; keep one`,
      `${w}/expression-in-run.yaml:8:25: steps[0].run: \`\${{ }}\` is not allowed inside a run script`,
      `${w}/no-approver-roles.yaml:4:24: steps[0].approval.roles: an empty role list means nobody could approve`,
      `${w}/no-approver.yaml:4:32: steps[0].approval.min_approvers: an approval needs at least one approver`,
      `${w}/recursion-a.yaml:4:23: steps[0].workflow.name: recursion is refused: recursion-a -> recursion-b -> recursion-a`,
      `${w}/recursion-b.yaml:4:23: steps[0].workflow.name: recursion is refused: recursion-b -> recursion-a -> recursion-b`,
      `${w}/recursion-b.yaml:6:23: steps[1].workflow.name: no workflow named \`godo\`, did you mean \`good\`?`,
      `${w}/step-order.yaml:8:20: steps[1].notify: steps.build is read before it is guaranteed to have run`,
      `${w}/step-order.yaml:8:55: steps[1].notify: unknown input \`sevice\`, did you mean \`service\`?`,
      `${w}/step-shape.yaml:3:5: steps[0]: missing required key \`id\``,
      `${w}/step-shape.yaml:5:5: steps[1]: a step holds exactly one action, this one has run and notify`,
      `${w}/unknown-context.yaml:4:20: steps[0].notify: unknown context \`github\``,
      `${w}/unknown-keys.yaml:2:1: stpes: unknown key, did you mean \`steps\`?`,
      `${w}/unknown-keys.yaml:5:5: steps[0].tiemout: unknown key, did you mean \`timeout\`?`,
      `${w}/wrong-types.yaml:6:17: steps[0].retry.attempts: expected a number from 1 to 20`,
      `${w}/wrong-types.yaml:8:12: steps[1].needs: expected text or a list, got the number 3`,
      `${w}/wrong-types.yaml:9:24: steps[1].continue_on_error: expected true or false, got text "maybe"`,
      `${w}/yaml-syntax.yaml:5:4: YAML syntax error: All sequence items must start at the same column`,
    ]);
  });

  it('tells users to pass values through env: instead of ${{ }} in run:', () => {
    expect(result.lines.find((l) => l.includes('expression-in-run'))).toMatch(/pass the value through env:/);
  });

  it('leaves broken files out and keeps the good ones', () => {
    expect([...result.project.workflows.keys()]).toEqual(['good']);
    expect([...result.project.commands.keys()]).toEqual(['hello']);
    expect(result.project.commands.get('hello')?.file).toBe(`${ROOT}/project/commands/good.yaml`);
  });
});

describe('broken policy fixtures', () => {
  it('locates schema problems in policy.yaml and locks everything (fail closed)', async () => {
    const { project, lines: actual } = await lines('policy');
    expectLines(actual, [
      `${ROOT}/policy/policy.yaml:3:26: roles.sre.members[1]: no person named \`bob\` in people:`,
      `${ROOT}/policy/policy.yaml:5:5: roles.oncall.memebrs: unknown key, did you mean \`members\`?`,
    ]);
    expect(project.policy).toEqual({ people: {}, roles: {}, rules: [], approvals: [] });
  });

  it('checks references from policy to roles, commands and workflows, and from approval steps to roles', async () => {
    const { project, lines: actual } = await lines('policy-refs');
    expectLines(actual, [
      `${ROOT}/policy-refs/commands/ask.yaml:3:11: workflow: workflow \`approve\` has errors of its own (reported in its file), so this command is left out too`,
      `${ROOT}/policy-refs/commands/fine.yaml:4:20: warning: examples[1]: "fine now" does not fit the usage "fine"`,
      `${ROOT}/policy-refs/commands/fine.yaml:4:32: warning: examples[2]: colour= sets no input of \`fine\``,
      `${ROOT}/policy-refs/policy.yaml:4:24: warning: rules[0].commands[1]: no command named \`fnie\`, did you mean \`fine\`?`,
      `${ROOT}/policy-refs/policy.yaml:4:44: rules[0].roles[1]: no role named \`ops\``,
      `${ROOT}/policy-refs/policy.yaml:6:19: warning: approvals[0].workflows[0]: no workflow named \`aprove\`, did you mean \`approve\`?`,
      `${ROOT}/policy-refs/workflows/approve.yaml:4:30: steps[0].approval.roles[1]: policy.yaml has no role \`admins\``,
      `${ROOT}/policy-refs/workflows/approve.yaml:7:15: steps[1].approval: needs 2 approval(s) from sre, but policy.yaml lists only 1 person there, so it can never be approved`,
      `${ROOT}/policy-refs/workflows/calls-approve.yaml:4:23: steps[0].workflow.name: workflow \`approve\` has errors of its own (reported in its file), so this workflow is left out too`,
    ]);
    expect([...project.workflows.keys()]).toEqual(['fine']);
    expect([...project.commands.keys()]).toEqual(['fine']);
  });
});

describe('the shipped examples', () => {
  it('load without a single problem', async () => {
    const project = await loadProject('.');
    expect(project.problems.map(formatProblem)).toEqual([]);
    expect(project.workflows.size).toBeGreaterThanOrEqual(5);
    expect([...project.commands.values()].every((c) => project.workflows.has(c.workflow))).toBe(true);
    expect(project.policy?.roles.sre?.members).toContain('bob');
    expect(project.policy?.people.bob).toContain('shell:bob');
  });
});

describe('secrets typed into chat', () => {
  it('warns when a command fills a secret input from its usage', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'chatops-secret-'));
    try {
      await mkdir(join(dir, 'workflows'));
      await mkdir(join(dir, 'commands'));
      await writeFile(join(dir, 'workflows', 's.yaml'), 'name: s\ninputs:\n  token: { type: string, secret: true, required: true }\nsteps:\n  - id: a\n    run: echo\n');
      await writeFile(join(dir, 'commands', 's.yaml'), 'name: s\nusage: s {token}\nworkflow: s\n');
      await writeFile(join(dir, 'policy.yaml'), 'roles: {}\n');
      const project = await loadProject(dir);
      expect(project.problems.map((p) => `${p.line}:${p.col}: ${p.severity}: ${p.message}`)).toEqual([
        "2:8: warning: usage: secret input `token` would be typed into chat, where the channel's history keeps it; pass secrets through the `secrets` context instead",
      ]);
      expect(project.commands.has('s')).toBe(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('people in policy.yaml', () => {
  it('reports unknown people, accounts claimed twice and groups given as accounts, at file:line:col, and locks the policy', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'chatops-people-'));
    try {
      await mkdir(join(dir, 'workflows'));
      await writeFile(join(dir, 'workflows', 'ok.yaml'), 'name: ok\nsteps:\n  - id: a\n    run: echo\n');
      await writeFile(
        join(dir, 'policy.yaml'),
        [
          'people:',
          '  alice: [shell:alice, slack:U0ALICE, slack-group:S1]',
          '  bob: [shell:bob, slack:U0ALICE, shell:bob]',
          'roles:',
          '  oncall: { members: [alcie, slack:U0CAROL] }',
          '  sre: { members: [bob, mallory] }',
          '',
        ].join('\n'),
      );
      const project = await loadProject(dir);
      expect(project.problems.map((p) => `${p.line}:${p.col}: ${p.severity}: ${p.message}`)).toEqual([
        "2:39: error: people.alice[2]: expected a person's account like slack:U123, discord:789 or shell:alice (groups such as slack-group: belong in roles)",
        "3:20: error: people.bob[1]: slack:U0ALICE is already alice's account (people.alice[1]); an account belongs to one person",
        '3:35: warning: people.bob[2]: shell:bob is listed twice for bob',
        '5:23: error: roles.oncall.members[0]: no person named `alcie` in people:, did you mean `alice`?',
        '6:25: error: roles.sre.members[1]: no person named `mallory` in people: (people: alice, bob); an account is written slack:U123, discord:789 or shell:mallory',
      ]);
      expect(project.policy).toEqual({ people: {}, roles: {}, rules: [], approvals: [] });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('still reports an unknown person when the policy has schema errors elsewhere', async () => {
    const { lines: actual } = await lines('policy');
    expect(actual.join('\n')).toMatch(/policy\.yaml:3:26: roles\.sre\.members\[1\]: no person named `bob` in people:/);
  });
});

describe('unreadable files', () => {
  it('reports them and keeps loading; an unreadable policy locks everything', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'chatops-unreadable-'));
    try {
      await mkdir(join(dir, 'workflows', 'odd.yaml'), { recursive: true });
      await writeFile(join(dir, 'workflows', 'ok.yaml'), 'name: ok\nsteps:\n  - id: a\n    run: echo\n');
      await mkdir(join(dir, 'policy.yaml'));
      const project = await loadProject(dir);
      expect(project.problems.map((p) => `${p.line}:${p.col}: ${p.message}`)).toEqual([
        '1:1: cannot read the policy (EISDIR); every command is refused until it can be read',
        expect.stringMatching(/^1:1: cannot read this file \(EISDIR\)/),
      ]);
      expect([...project.workflows.keys()]).toEqual(['ok']);
      expect(project.policy).toEqual({ people: {}, roles: {}, rules: [], approvals: [] });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
