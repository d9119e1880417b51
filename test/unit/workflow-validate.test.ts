/** Semantic checks of one workflow file: each problem located, worded, and nothing reported for valid shapes. */
import { loadWorkflowText } from '../../src/config/load-files.js';
import { formatProblem } from '../../src/config/yaml-source.js';

function check(yaml: string): string[] {
  return loadWorkflowText('wf.yaml', yaml).problems.map(formatProblem);
}

const HEAD = 'name: t\ninputs:\n  service: { type: string }\n';

describe('which steps an expression may read', () => {
  it('allows steps reached through needs, transitively', () => {
    expect(
      check(`${HEAD}steps:
  - id: a
    run: echo "x=1" >> "$CHATOPS_OUTPUT"
  - id: b
    needs: a
    run: echo b
  - id: c
    needs: [b]
    notify: '\${{ steps.a.outputs.x }}'
outputs: { x: '\${{ steps.c.outcome }}' }
`),
    ).toEqual([]);
  });

  it('refuses a sibling that may not have run yet', () => {
    expect(
      check(`${HEAD}steps:
  - id: a
    run: echo a
  - id: b
    if: \${{ steps.a.outputs.ok == 'yes' }}
    run: echo b
`),
    ).toEqual(["wf.yaml:8:13: steps[1].if: steps.a is read before it is guaranteed to have run; add `a` to this step's needs (directly or through a step it needs)"]);
  });

  it('lets on_failure steps read main steps but not unordered on_failure siblings', () => {
    expect(
      check(`${HEAD}steps:
  - id: a
    run: echo a
on_failure:
  - id: f1
    notify: 'a said \${{ steps.a.outputs.x }}'
  - id: f2
    notify: 'f1 said \${{ steps.f1.outputs.x }}'
`),
    ).toEqual(['wf.yaml:11:22: on_failure[1].notify: steps.f1 is read before it is guaranteed to have run; add `f1` to this step\'s needs (directly or through a step it needs)']);
  });

  it('refuses steps in the concurrency key and unknown step fields', () => {
    expect(
      check(`${HEAD}concurrency: { key: 'x-\${{ steps.a.outputs.y }}' }
steps:
  - id: a
    run: echo a
  - id: b
    needs: a
    notify: '\${{ steps.a.output.y }} \${{ steps.zz.outputs.y }}'
`),
    ).toEqual([
      'wf.yaml:4:24: concurrency.key: steps.a cannot be read here: no step has run yet',
      'wf.yaml:10:14: steps[1].notify: steps.a.output does not exist, did you mean `outputs`? (a step has outputs, outcome, conclusion)',
      'wf.yaml:10:38: steps[1].notify: steps.zz refers to no step',
    ]);
  });
});

describe('expressions', () => {
  it('refuses text around ${{ }} in a condition, and an unclosed ${{', () => {
    expect(
      check(`${HEAD}steps:
  - id: a
    if: prod is \${{ inputs.service }}
    run: echo a
  - id: b
    notify: 'hi \${{ inputs.service'
  - id: c
    notify: '\${{ run.requestor }}'
`),
    ).toEqual([
      'wf.yaml:6:9: steps[0].if: a condition is one expression: write `x` or `${{ x }}`, not text around `${{ }}`',
      'wf.yaml:9:17: steps[1].notify: `${{` without a closing `}}`',
      'wf.yaml:11:14: steps[2].notify: run.requestor does not exist, did you mean `requester`? (run has id, requester, channel, workflow, url)',
    ]);
  });

  it('accepts bare conditions, status functions and every known context', () => {
    expect(
      check(`${HEAD}steps:
  - id: a
    if: "inputs.service == 'api' && alert.labels.severity != 'info'"
    env: { A: '\${{ secrets.TOKEN }} \${{ env.HOME }} \${{ run.id }} \${{ toJSON(alert) }}' }
    run: echo "$A"
on_failure:
  - id: f
    if: always()
    notify: 'failed at \${{ failure.step }}'
`),
    ).toEqual([]);
  });

  it('points at the exact line of ${{ inside a run block', () => {
    expect(
      check(`${HEAD}steps:
  - id: a
    run: |
      echo one
      echo two
      curl "\${{ inputs.service }}"
`),
    ).toEqual([expect.stringMatching(/^wf\.yaml:9:13: steps\[0\]\.run: `\$\{\{ \}\}` is not allowed inside a run script/)]);
  });
});

describe('steps and needs', () => {
  it('refuses a step needing itself, on_failure needing a main step, and ids shared between the two lists', () => {
    expect(
      check(`${HEAD}steps:
  - id: a
    needs: a
    run: echo a
on_failure:
  - id: a
    run: echo again
  - id: f
    needs: [b]
    run: echo f
`),
    ).toEqual([
      'wf.yaml:6:12: steps[0].needs: step `a` needs itself',
      'wf.yaml:9:9: on_failure[0].id: duplicate step id `a` (also a step under steps)',
      'wf.yaml:12:13: on_failure[1].needs: `b` is not a step id in on_failure',
    ]);
  });
});

describe('input declarations', () => {
  it('checks options, defaults and patterns', () => {
    expect(
      check(`name: t
inputs:
  env: { type: choice }
  size: { type: string, options: [a, b] }
  count: { type: number, default: lots }
  name: { type: string, pattern: '([a-z' }
  tier: { type: choice, options: [gold, silver], default: bronze }
  flag: { type: boolean, required: true, default: true }
steps:
  - id: a
    run: echo a
`),
    ).toEqual([
      'wf.yaml:3:3: inputs.env: a choice input needs options: [a, b]',
      'wf.yaml:4:25: inputs.size.options: only a choice input has options; set type: choice',
      'wf.yaml:5:35: inputs.count.default: expected a number',
      expect.stringMatching(/^wf\.yaml:6:34: inputs\.name\.pattern: not a valid regular expression/),
      'wf.yaml:7:59: inputs.tier.default: expected one of: gold, silver',
      'wf.yaml:8:36: warning: inputs.flag.required: has no effect with a default; remove one of them',
    ]);
  });
});

describe('file-level problems', () => {
  it('refuses a file that is not a mapping', () => {
    expect(check('- just\n- a list\n')).toEqual(['wf.yaml:1:1: top level: expected a mapping (key: value) describing a workflow']);
  });
  it('names a missing top-level key', () => {
    expect(check('name: t\n')).toEqual(['wf.yaml:1:1: top level: missing required key `steps`']);
  });
});

describe('schema messages', () => {
  it('words type, enum, key and record problems for people, at the offending spot', () => {
    expect(
      check(`name: Bad Name
inputs:
  x: { type: strin }
concurrency: { key: k, mode: queeu }
steps:
  - id: 1st
    http: { url: 'http://x', methd: GET, expect: ok }
  - id: e
    run: echo
    env: { 'bad-name': x }
on:
  schedule: daily
`),
    ).toEqual([
      'wf.yaml:1:7: name: expected a lower-case name of letters, digits, _ and -',
      'wf.yaml:3:14: inputs.x.type: expected one of string, number, boolean, choice, got text "strin"',
      'wf.yaml:4:30: concurrency.mode: expected one of queue, reject, got text "queeu"',
      'wf.yaml:6:9: steps[0].id: expected an id of letters, digits, _ and -, not starting with a digit',
      'wf.yaml:7:30: steps[0].http.methd: unknown key, did you mean `method`?',
      'wf.yaml:7:50: steps[0].http.expect: expected a number or a list, got text "ok"',
      'wf.yaml:10:12: steps[1].env.bad-name: expected an environment variable name',
      'wf.yaml:12:3: on.schedule: unknown key (expected one of: alert)',
    ]);
  });
});

describe('triggers and URLs', () => {
  it('refuses an alert trigger matching everything and URLs that are not http', () => {
    expect(
      check(`name: t
steps:
  - id: a
    http: { url: 'file:///etc/passwd' }
  - id: b
    http: { url: '127.0.0.1:8080/health' }
  - id: c
    http: { url: 'http://127.0.0.1:8080/\${{ run.id }}' }
on:
  alert: { match: {} }
`),
    ).toEqual([
      'wf.yaml:4:18: steps[0].http.url: only http and https URLs are supported, not file:',
      'wf.yaml:6:18: steps[1].http.url: not a URL; write it in full, like http://127.0.0.1:8080/health',
      'wf.yaml:10:19: on.alert.match: empty, so every alert would start this workflow; name at least one label, e.g. { alertname: HighErrorRate }',
    ]);
  });
});

describe('on.alert', () => {
  it('points at bad matchers, unknown or unmapped inputs, expressions reading what an alert does not have', () => {
    expect(
      check(`name: t
inputs:
  host: { type: string, required: true }
steps:
  - id: a
    run: "true"
on:
  alert:
    matchers: ['alertname="X"', 'severity=~"(bad"', 'nope']
    start: manual
    inputs: { hots: '\${{ alert.labels.instance }}', host: '\${{ inputs.host }}' }
`),
    ).toEqual([
      'wf.yaml:9:33: on.alert.matchers[1]: `severity=~"(bad"`: bad regular expression: Invalid regular expression: /^(?:(bad)$/: Unterminated group',
      'wf.yaml:9:53: on.alert.matchers[2]: `nope` is not a matcher; write name="value", name!="value", name=~"regex" or name!~"regex"',
      'wf.yaml:11:15: on.alert.inputs.hots: not an input of this workflow, did you mean `host`? (declared: host)',
      'wf.yaml:11:60: on.alert.inputs.host: `inputs` is not known when an alert starts the run; read alert.labels, alert.annotations, alert.status, alert.fingerprint, … or incident.id here',
    ]);
  });

  it('accepts start: manual, warns of what only shapes automatic starts, and wants required inputs mapped', () => {
    expect(
      check(`name: t
inputs:
  host: { type: string, required: true }
steps:
  - id: a
    run: "true"
on:
  alert:
    match: { alertname: X }
    start: manual
    delay: 2m
    cooldown: 30m
    scope: incident
`),
    ).toEqual([
      'wf.yaml:8:3: on.alert: input `host` is required and has no default, so an alert could never start this workflow (its button takes no inputs); map it in on.alert.inputs (e.g. host: ${{ alert.labels.host }})',
      "wf.yaml:11:5: warning: on.alert.delay: has no effect with start: manual (a person starts the run from the incident's button); remove it",
      "wf.yaml:12:5: warning: on.alert.cooldown: has no effect with start: manual (a person starts the run from the incident's button); remove it",
      'wf.yaml:13:5: warning: on.alert.scope: has no effect with start: manual (one button per incident); remove it',
    ]);
  });

  it("accepts FORMATS.md's workflow example trigger, warning that channel is alerts.yaml's business", () => {
    expect(
      check(`name: t
steps:
  - id: a
    run: "true"
on:
  alert: { match: { alertname: HighErrorRate, severity: critical }, channel: "#incidents" }
`),
    ).toEqual([
      "wf.yaml:6:69: warning: on.alert.channel: ignored: the run reports in its incident's thread, and alerts.yaml routes incidents to channels (routes: - match: {…} channel: slack:C0INCIDENTS)",
    ]);
  });

  it('accepts the FORMATS.md example and needs matchers', () => {
    expect(
      check(`name: t
inputs:
  service: { type: string, required: true }
steps:
  - id: a
    run: "true"
on:
  alert:
    matchers: ['alertname="HighErrorRate"', 'severity=~"critical|page"']
    sources: [alertmanager, grafana]
    status: firing
    scope: alert
    delay: 2m
    cooldown: 30m
    start: auto
    inputs: { service: "\${{ alert.labels.service }}-\${{ incident.id }}" }
`),
    ).toEqual([]);
    expect(check('name: t\nsteps:\n  - id: a\n    run: "true"\non:\n  alert: { status: any, scope: incident }\n')).toEqual([
      `wf.yaml:6:3: on.alert: no matchers, so every alert would start this workflow; add matchers: ['alertname="HighErrorRate"'] or match: { alertname: HighErrorRate }`,
    ]);
    expect(check('name: t\nsteps:\n  - id: a\n    run: "true"\non:\n  alert: { match: { a: b }, scope: group, delay: soon }\n')).toEqual([
      'wf.yaml:6:36: on.alert.scope: expected one of alert, incident, got text "group"',
      'wf.yaml:6:50: on.alert.delay: expected a duration such as 500ms, 30s, 5m, 2h or 1h30m',
    ]);
  });
});

describe('YAML-level problems', () => {
  it('words duplicate keys, extra documents and unclosed conditions plainly', () => {
    expect(check('name: t\nsteps:\n  - id: a\n    run: x\n    run: y\n')).toEqual(['wf.yaml:5:5: duplicate key `run`: a key appears once per mapping; keep one']);
    expect(check('name: a\n---\nname: b\n')).toEqual([
      'wf.yaml:2:1: YAML syntax error: a file holds one document; remove the second `---` and what follows, or move it to its own file',
    ]);
    expect(check('name: t\nsteps:\n  - id: a\n    run: x\n    if: ${{ inputs.x ==\n')).toEqual(['wf.yaml:5:9: steps[0].if: `${{` without a closing `}}`']);
  });
});

describe('limits', () => {
  it('warns about step timeouts and approval expiries the run timeout cuts short', () => {
    expect(
      check(`name: t
timeout: 5m
steps:
  - id: a
    timeout: 10m
    run: echo
  - id: b
    approval: { expires: 1h }
`),
    ).toEqual([
      "wf.yaml:5:14: warning: steps[0].timeout: 10m is longer than the run's timeout (5m), which ends it first",
      "wf.yaml:8:26: warning: steps[1].approval.expires: 1h is longer than the run's timeout (5m); the run times out before the approval expires",
    ]);
  });
});
