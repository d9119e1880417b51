/** Issue 14, worker pools: `runs_on` checked by validate (located), shown by docs, and the no-worker line in each format. */
import { formatRun as formatShell } from '../../src/adapters/shell/ansi-format.js';
import { formatRun as formatSlack } from '../../src/adapters/slack/block-kit/format-run.js';
import { buildRunView } from '../../src/chat/render-model.js';
import { formatWorkers } from '../../src/cli/workers.js';
import { loadWorkflowText } from '../../src/config/load-files.js';
import { formatProblem } from '../../src/config/yaml-source.js';
import type { RunRecord } from '../../src/engine/types.js';
import { renderRunbook } from '../../src/workflow/docs.js';
import { stepPool, workflowPools, workflowSchema } from '../../src/workflow/schema.js';

function check(yaml: string): string[] {
  return loadWorkflowText('wf.yaml', yaml).problems.map(formatProblem);
}

describe('runs_on in workflow files', () => {
  it('accepts pool names on the workflow and on steps', () => {
    expect(check('name: t\nruns_on: db-eu1\nsteps:\n  - id: a\n    runs_on: default\n    run: echo a\n  - id: b\n    run: echo b\n')).toEqual([]);
  });

  it('refuses a malformed pool name at its line and column', () => {
    expect(check('name: t\nruns_on: DB\nsteps:\n  - id: a\n    runs_on: "db zone"\n    run: echo a\n')).toEqual([
      'wf.yaml:2:10: runs_on: expected a worker pool name: a lower-case letter, then up to 31 lower-case letters, digits and -',
      'wf.yaml:5:14: steps[0].runs_on: expected a worker pool name: a lower-case letter, then up to 31 lower-case letters, digits and -',
    ]);
  });

  it('suggests runs_on for a mistyped key', () => {
    expect(check('name: t\nsteps:\n  - id: a\n    run_on: db\n    run: echo a\n').join('\n')).toMatch(/^wf.yaml:4:5: steps\[0\].run_on: unknown key, did you mean `runs_on`\?$/);
  });
});

const wf = workflowSchema.parse({
  name: 'zones',
  runs_on: 'db',
  steps: [
    { id: 'migrate', run: 'echo m' },
    { id: 'tell', needs: 'migrate', runs_on: 'default', notify: 'done' },
  ],
});

describe('pools of a workflow', () => {
  it('a step\'s runs_on wins over its workflow\'s, which wins over the default pool', () => {
    expect(wf.steps.map((s) => stepPool(wf, s))).toEqual(['db', 'default']);
    expect(stepPool({}, {})).toBe('default');
    expect(workflowPools([wf])).toEqual(['db', 'default']);
  });

  it('docs say where each step runs and which worker serves it', () => {
    const md = renderRunbook(wf, { file: 'workflows/zones.yaml', commands: [], workflows: [wf] });
    expect(md).toContain('### 1. `migrate`\n\n- **Does:** runs this shell script:');
    expect(md).toContain('- **Runs on:** a worker of pool `db` (`chatops worker --pool db`)');
    expect(md).toContain('- **Runs on:** a worker of the default pool (`chatops worker`)');
  });
});

const run: RunRecord = {
  id: 'r-abc123',
  workflow: 'zones',
  state: 'running',
  inputs: {},
  trigger: { kind: 'cli', source: 'cli', requester: 'cli:alice' },
  createdAt: 1_000,
  startedAt: 1_000,
  outputs: {},
  steps: [
    { id: 'migrate', name: 'migrate', kind: 'run', phase: 'main', state: 'queued', attempt: 1, outputs: {}, pool: 'db' },
    { id: 'tell', name: 'tell', kind: 'notify', phase: 'main', state: 'pending', attempt: 1, outputs: {} },
  ],
};
const waiting = new Map([['migrate', { attempt: 1, pool: 'db' }]]);

describe('a step waiting for a worker of its pool', () => {
  it('says so in the terminal and on Slack', () => {
    const view = buildRunView(run, 2_000, { noWorker: waiting });
    expect(formatShell(view, { color: false })).toContain('  ○ migrate   queued — waiting for a worker of pool db: none is running (start one with `chatops worker --pool db`)');
    expect(JSON.stringify(formatSlack(view))).toContain('waiting for a worker of pool db: none is running');
  });

  it('says nothing once the step left the queue, or for an older attempt', () => {
    const started = { ...run, steps: run.steps.map((s) => (s.id === 'migrate' ? { ...s, state: 'running' as const, startedAt: 1_500 } : s)) };
    expect(buildRunView(started, 2_000, { noWorker: waiting }).steps[0]?.waitingForWorker).toBeUndefined();
    const retried = { ...run, steps: run.steps.map((s) => (s.id === 'migrate' ? { ...s, attempt: 2 } : s)) };
    expect(buildRunView(retried, 2_000, { noWorker: waiting }).steps[0]?.waitingForWorker).toBeUndefined();
  });
});

describe('chatops workers', () => {
  it('lists each worker with its pools, concurrency, version and held steps', () => {
    const lines = formatWorkers([{ id: 'h:1:aa', pools: ['db', 'default'], concurrency: 4, version: '0.1.0', host: 'h', pid: 1, startedAt: 0, beatAt: 60_000, held: [{ runId: 'r-abc123', stepId: 'migrate', attempt: 2, startedAt: 50_000 }] }], 60_000);
    expect(lines).toEqual(['h:1:aa  pools db,default  concurrency 4  version 0.1.0  up 1m00s  holds 1 step(s)', '  r-abc123 migrate (attempt 2)  running 10s']);
    expect(formatWorkers([], 0)[0]).toMatch(/^no worker is running/);
  });
});
