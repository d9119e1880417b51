/** `chatops validate` warns when an input (or a step output, or an alert) decides where an http step sends its request. */
import { loadWorkflowText } from '../../src/config/load-files.js';
import { formatProblem } from '../../src/config/yaml-source.js';

function check(yaml: string): string[] {
  return loadWorkflowText('wf.yaml', yaml).problems.map(formatProblem);
}

const HEAD = `name: t
inputs:
  url: { type: string }
  host: { type: string }
  env: { type: choice, options: [staging, prod] }
  svc: { type: string }
`;

describe('http URL checks', () => {
  it('warns when a free input decides the host, directly or through env', () => {
    expect(
      check(`${HEAD}env: { BASE: '\${{ inputs.url }}' }
steps:
  - id: a
    http: { url: '\${{ inputs.url }}' }
  - id: b
    http: { url: 'http://\${{ inputs.host }}:8080/health' }
  - id: c
    http: { url: '\${{ env.BASE }}/health' }
  - id: d
    env: { H: '\${{ inputs.host }}' }
    http: { url: 'https://\${{ env.H }}/x' }
`),
    ).toEqual([
      expect.stringMatching(/^wf\.yaml:10:19: warning: steps\[0\]\.http\.url: input `url` decides the host of this URL, so whoever sets it chooses which server gets the request and its headers/),
      expect.stringMatching(/^wf\.yaml:12:26: warning: steps\[1\]\.http\.url: input `host` decides the host/),
      expect.stringMatching(/^wf\.yaml:14:19: warning: steps\[2\]\.http\.url: input `url` decides the host/),
      expect.stringMatching(/^wf\.yaml:17:27: warning: steps\[3\]\.http\.url: input `host` decides the host/),
    ]);
  });

  it('is quiet for a fixed host with inputs in the path or query, a choice input, or workflow env', () => {
    expect(
      check(`${HEAD}env: { API: 'http://127.0.0.1:8080' }
steps:
  - id: a
    http: { url: 'http://127.0.0.1:18081/svc/\${{ inputs.svc }}/health?q=\${{ inputs.host }}' }
  - id: b
    http: { url: 'https://\${{ inputs.env }}.example.com/health' }
  - id: c
    http: { url: '\${{ env.API }}/svc/\${{ inputs.svc }}', follow_redirects: true }
`),
    ).toEqual([]);
  });

  it('warns for step outputs and alert labels in the host too', () => {
    expect(
      check(`${HEAD}steps:
  - id: a
    run: echo "u=http://x" >> "$CHATOPS_OUTPUT"
  - id: b
    needs: a
    http: { url: '\${{ steps.a.outputs.u }}/x' }
  - id: c
    http: { url: 'http://\${{ alert.labels.instance }}/metrics' }
`),
    ).toEqual([expect.stringContaining("a step's output (steps.a) decides the host"), expect.stringContaining('the alert decides the host')]);
  });

  it('refuses a follow_redirects that is not a boolean', () => {
    expect(check(`${HEAD}steps:\n  - id: a\n    http: { url: 'http://h/', follow_redirects: 'yes' }\n`)).toEqual([expect.stringMatching(/follow_redirects/)]);
  });
});
