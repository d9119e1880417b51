/** `chatops validate` and `chatops docs` called in-process: exit codes, output lines, determinism. */
import { jest } from '@jest/globals';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { docsCommand } from '../../src/cli/docs.js';
import { validateCommand, type Output } from '../../src/cli/validate.js';

function capture(): Output & { outLines: string[]; errLines: string[] } {
  const outLines: string[] = [];
  const errLines: string[] = [];
  return { outLines, errLines, out: (l) => outLines.push(l), err: (l) => errLines.push(l) };
}

describe('chatops validate', () => {
  it('exits 0 on the shipped examples and says what loaded', async () => {
    const io = capture();
    expect(await validateCommand(['.'], io)).toBe(0);
    expect(io.outLines).toEqual([]);
    expect(io.errLines.join('\n')).toMatch(/^ok: \d+ workflow\(s\), \d+ command\(s\), policy loaded$/);
  });

  it('exits 1 with one located line per problem on a broken project', async () => {
    const io = capture();
    expect(await validateCommand(['test/fixtures/broken/project'], io)).toBe(1);
    expect(io.outLines.length).toBeGreaterThan(20);
    for (const line of io.outLines) expect(line).toMatch(/^test\/fixtures\/broken\/project\/\S+\.yaml:\d+:\d+: /);
    expect(io.errLines.join('\n')).toMatch(/\d+ error\(s\), 1 warning\(s\)/);
  });

  it('checks alerts.yaml: matcher syntax, channels, unknown keys, durations and limits, at file:line:col', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'chatops-alerts-yaml-'));
    try {
      await mkdir(join(dir, 'workflows'));
      await writeFile(join(dir, 'workflows', 'n.yaml'), 'name: n\nsteps:\n  - id: a\n    run: "true"\n');
      await writeFile(join(dir, 'policy.yaml'), 'rules: []\n');
      await writeFile(
        join(dir, 'alerts.yaml'),
        `routes:
  - matchers: ['severity="critical"', 'service=~"(bad"']
    channel: slack:C0INCIDENTS
  - match: { severity: warning }
    chanel: discord:400000000000000001
  - matchers: ['team="x"']
    channel: teams:C1
default: { channel: slack:C0ALERTS }
incidents: { reopen_within: 15 minutes }
storm: { max_alerts_listed: 0 }
`,
      );
      const io = capture();
      expect(await validateCommand([dir], io)).toBe(1);
      const f = join(dir, 'alerts.yaml');
      expect(io.outLines).toEqual([
        `${f}:2:39: routes[0].matchers[1]: \`service=~"(bad"\`: bad regular expression: Invalid regular expression: /^(?:(bad)$/: Unterminated group`,
        `${f}:4:5: routes[1]: missing required key \`channel\``,
        `${f}:5:5: routes[1].chanel: unknown key, did you mean \`channel\`?`,
        `${f}:7:14: routes[2].channel: expected platform:channel, e.g. slack:C0INCIDENTS, discord:400000000000000001 or shell: (the terminal)`,
        `${f}:9:29: incidents.reopen_within: expected a duration such as 500ms, 30s, 5m, 2h or 1h30m`,
        `${f}:10:29: storm.max_alerts_listed: Too small: expected number to be >=1`,
      ]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('checks each project in a folder of projects', async () => {
    const io = capture();
    expect(await validateCommand(['test/fixtures/broken'], io)).toBe(1);
    for (const dir of ['project', 'policy', 'policy-refs']) expect(io.outLines.some((l) => l.startsWith(`test/fixtures/broken/${dir}/`))).toBe(true);
  });

  it('checks a single file within its project and reports only that file', async () => {
    const io = capture();
    expect(await validateCommand(['test/fixtures/broken/project/workflows/cycle.yaml'], io)).toBe(1);
    expect(io.outLines).toEqual(['test/fixtures/broken/project/workflows/cycle.yaml:4:13: steps[0].needs: dependency cycle: a -> c -> b -> a']);
    const ok = capture();
    expect(await validateCommand(['test/fixtures/broken/project/workflows/good.yaml'], ok)).toBe(0);
  });

  it('passes with only warnings (no policy file, no workflows)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'chatops-validate-'));
    try {
      const empty = capture();
      expect(await validateCommand([dir], empty)).toBe(0);
      expect(empty.outLines).toEqual([
        expect.stringMatching(/policy\.yaml:1:1: warning: no policy file/),
        expect.stringMatching(/workflows:1:1: warning: no workflow files \(\*\.yaml\) here/),
      ]);
      await mkdir(join(dir, 'workflows'));
      await writeFile(join(dir, 'workflows', 'lone.yaml'), 'name: lone\nsteps:\n  - id: a\n    run: echo hi\n');
      const project = capture();
      expect(await validateCommand([dir], project)).toBe(0);
      expect(project.outLines).toEqual([expect.stringMatching(/policy\.yaml:1:1: warning: no policy file/)]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('checks a lone file outside any project by its kind', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'chatops-validate-'));
    try {
      await writeFile(join(dir, 'cmd.yaml'), 'name: x\nusage: x {a\nworkflow: y\n');
      const io = capture();
      expect(await validateCommand([join(dir, 'cmd.yaml')], io)).toBe(1);
      expect(io.outLines).toEqual([expect.stringMatching(/cmd\.yaml:2:8: usage: "\{a" is not an argument/)]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('exits 2 for a path that does not exist', async () => {
    const io = capture();
    expect(await validateCommand(['no/such/dir'], io)).toBe(2);
    expect(io.errLines).toEqual(['chatops validate: no such file or directory: no/such/dir']);
  });
});

describe('chatops docs', () => {
  let out: string;
  beforeEach(async () => {
    out = await mkdtemp(join(tmpdir(), 'chatops-docs-'));
  });
  afterEach(async () => rm(out, { recursive: true, force: true }));

  it('writes one runbook per workflow, each with a mermaid graph, byte-identical on every run', async () => {
    expect(await docsCommand({ dir: '.', out }, capture())).toBe(0);
    const names = (await readdir(out)).sort();
    const workflows = (await readdir('workflows')).filter((n) => n.endsWith('.yaml'));
    expect(names).toHaveLength(workflows.length);
    const first = await Promise.all(names.map((n) => readFile(join(out, n), 'utf8')));
    for (const md of first) expect(md).toMatch(/```mermaid\nflowchart TD\n/);
    const io = capture();
    expect(await docsCommand({ dir: '.', out }, io)).toBe(0);
    expect(io.outLines).toEqual([]); // nothing rewritten
    const second = await Promise.all(names.map((n) => readFile(join(out, n), 'utf8')));
    expect(second).toEqual(first);
  });

  it('matches the committed runbooks in docs/runbooks', async () => {
    await docsCommand({ dir: '.', out }, capture());
    for (const name of await readdir(out)) expect(await readFile(join(out, name), 'utf8')).toBe(await readFile(join('docs/runbooks', name), 'utf8'));
  });

  it('shows how it starts, inputs, approvals, conditions and who may run it', async () => {
    await docsCommand({ dir: '.', out }, capture());
    const md = await readFile(join(out, 'restart-service.md'), 'utf8');
    expect(md).toContain('- Chat command `restart {service} [in {env}]`');
    expect(md).toContain('| `service` | string | yes |');
    expect(md).toContain('s_approve{{"approval: approve: SRE approval (prod only)"}}');
    expect(md).toContain('s_approve_if{"if inputs.env == \'prod\'"}');
    expect(md).toContain('- `restart`: roles oncall, sre in any channel');
    expect(md).toContain('- Approval `approve`: 1 of role sre, never the requester');
    const diagnose = await readFile(join(out, 'diagnose-high-error-rate.md'), 'utf8');
    expect(diagnose).toContain('- Alert: when an alert matching `alertname="HighErrorRate", severity=~"critical|page"` fires, one run per alert, reported in the incident\'s thread\n  - at most once per alert every 30m\n');
  });

  it('removes runbooks it generated for workflows that are gone, keeps hand-written files', async () => {
    await writeFile(join(out, 'old.md'), '# old\n\n<!-- generated by `chatops docs` from workflows/old.yaml -->\n');
    await writeFile(join(out, 'NOTES.md'), '# mine\n');
    await docsCommand({ dir: '.', out }, capture());
    const names = await readdir(out);
    expect(names).not.toContain('old.md');
    expect(names).toContain('NOTES.md');
  });

  it('exits 1 when files had errors, still writing the good ones', async () => {
    const io = capture();
    expect(await docsCommand({ dir: 'test/fixtures/broken/project', out }, io)).toBe(1);
    expect(await readdir(out)).toEqual(['good.md']);
  });
});

describe('command-line wiring', () => {
  it('parses paths and sets the exit code', async () => {
    const { buildProgram } = await import('../../src/cli/main.js');
    const program = buildProgram();
    const saved = process.exitCode;
    const log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
    const error = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      await program.parseAsync(['node', 'chatops', 'validate', 'test/fixtures/broken/project/workflows/cycle.yaml']);
      expect(process.exitCode).toBe(1);
      expect(log).toHaveBeenCalledWith(expect.stringContaining('cycle.yaml:4:13: steps[0].needs: dependency cycle'));
    } finally {
      process.exitCode = saved;
      log.mockRestore();
      error.mockRestore();
    }
  });
});
