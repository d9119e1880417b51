/** The runbook renderer on a synthetic workflow: every step kind, escaping, and the no-policy wording. */
import { renderRunbook } from '../../src/workflow/docs.js';
import { mermaidText, renderMermaid } from '../../src/workflow/mermaid.js';
import { workflowSchema } from '../../src/workflow/schema.js';

const wf = workflowSchema.parse({
  name: 'all-kinds',
  description: 'Every kind of step.',
  inputs: { token: { type: 'string', secret: true, required: true, description: 'API | token' } },
  timeout: '10m',
  steps: [
    { id: 'probe', http: { url: 'http://127.0.0.1:9/x', expect: [200, 204], timeout: '5s' }, continue_on_error: true },
    { id: 'wait', needs: 'probe', sleep: '30s' },
    { id: 'ok', needs: ['wait'], if: '${{ steps.probe.outcome == \'success\' && "x" }}', approval: { min_approvers: 2, roles: ['sre'], expires: '5m' } },
    { id: 'child', needs: ['ok'], workflow: { name: 'other', inputs: { a: 'b' } } },
    { id: 'say', name: 'Say <hi>', needs: ['child'], notify: 'done' },
  ],
  on_failure: [{ id: 'undo', run: 'echo undo\n' }],
});

describe('renderMermaid', () => {
  const graph = renderMermaid(wf);
  it('gives each step kind its shape and puts conditions in front of their step', () => {
    expect(graph).toContain('s_probe["http GET: probe"]');
    expect(graph).toContain('s_wait(["sleep 30s: wait"])');
    expect(graph).toContain('s_ok{{"approval: ok"}}');
    expect(graph).toContain('s_ok_if{"if steps.probe.outcome == \'success\' #amp;#amp; #quot;x#quot;"}');
    expect(graph).toContain('s_ok_if -->|yes| s_ok');
    expect(graph).toContain('s_wait --> s_ok_if');
    expect(graph).toContain('s_child[["workflow other: child"]]');
    expect(graph).toContain('s_say>"notify: say: Say #lt;hi#gt;"]');
    expect(graph).toContain('  subgraph on_failure["on failure"]\n    failed(["run failed"])\n    f_undo["undo"]\n    failed --> f_undo\n  end');
    expect(graph.split('\n').slice(-2)).toEqual(['  class s_probe soft', '  class s_ok approval']);
  });
  it('shortens long labels', () => {
    expect(mermaidText('x'.repeat(100))).toHaveLength(60);
  });
});

describe('renderRunbook', () => {
  const md = renderRunbook(wf, { file: 'workflows/all-kinds.yaml', commands: [], workflows: [wf] });
  it('documents each step with its action, condition and limits', () => {
    expect(md).toContain('- **Does:** HTTP GET `http://127.0.0.1:9/x`, expecting 200 or 204 within 5s');
    expect(md).toContain('- **On error:** the run continues');
    expect(md).toContain('- **Does:** waits 30s');
    expect(md).toContain('- **Does:** waits for 2 approval(s) from role sre, never the requester; denied or expired after 5m fails the step');
    expect(md).toContain('- **Does:** runs the workflow [other](other.md) with `a=b`');
    expect(md).toContain('- **Timeout:** the run\'s (10m)');
    expect(md).toContain('## On failure');
  });
  it('escapes table cells and marks secrets', () => {
    expect(md).toContain('| `token` | string | yes |  | API \\| token; secret (masked as `***`) |');
  });
  it('says what happens without a policy file and without commands', () => {
    expect(md).toContain('No policy.yaml: everyone may run it; approvals need someone other than the requester.');
    expect(md).toContain('- Terminal: `chatops run all-kinds --input token=…`');
  });
  it('is a pure function of its input', () => {
    expect(renderRunbook(wf, { file: 'workflows/all-kinds.yaml', commands: [], workflows: [wf] })).toBe(md);
  });
});

describe('a runbook started by hand from incidents (on.alert start: manual)', () => {
  const manual = workflowSchema.parse({
    name: 'drain',
    steps: [{ id: 'a', run: 'true' }],
    on: { alert: { matchers: ['alertname="HighErrorRate"'], sources: ['alertmanager'], start: 'manual' } },
  });
  const policy = { people: {}, roles: { oncall: { members: ['slack:U1'] } }, rules: [{ commands: ['run'], roles: ['oncall'], channels: ['*'] }], approvals: [] };
  it('says it is a button on matching incidents and who may click it', () => {
    const md = renderRunbook(manual, { file: 'workflows/drain.yaml', commands: [], workflows: [manual], policy });
    expect(md).toContain("- Alert: started by hand (start: manual): a **Run drain** button (typed: `run i-… drain`) on each open incident with an alert matching `alertname=\"HighErrorRate\"` (from alertmanager), reported in the incident's thread");
    expect(md).toContain('- Its button on an incident: roles oncall in any channel (rule granting `run`)');
    expect(md).not.toContain('No chat command starts it');
  });
  it('says nobody may click it when no rule grants run', () => {
    const md = renderRunbook(manual, { file: 'workflows/drain.yaml', commands: [], workflows: [manual], policy: { ...policy, rules: [] } });
    expect(md).toContain('- Its button on an incident: no rule grants `run`, so nobody may click it');
  });
});
