/** `chatops validate` on `${{ secrets.X }}`: names, and positions where a secret would be stored or shown. */
import { loadWorkflowText } from '../../src/config/load-files.js';
import { formatProblem } from '../../src/config/yaml-source.js';
import { workflowSchema } from '../../src/workflow/schema.js';
import { secretsNeeded } from '../../src/workflow/secret-checks.js';
import { parse } from 'yaml';

function check(yaml: string): string[] {
  return loadWorkflowText('wf.yaml', yaml).problems.map(formatProblem);
}

describe('secrets in workflows', () => {
  it('allows secrets where a step uses them: env, http, notify', () => {
    expect(
      check(`name: t
env: { TOKEN: '\${{ secrets.API_TOKEN }}' }
steps:
  - id: a
    env: { PW: '\${{ secrets.db_password }}' }
    run: echo ok
  - id: b
    http: { url: 'http://127.0.0.1/x?k=\${{ secrets.KEY_2 }}', headers: { Authorization: 'Bearer \${{ env.TOKEN }}' }, body: { t: '\${{ secrets.BODY }}' } }
  - id: c
    notify: 'done \${{ secrets.api_token }}'
`),
    ).toEqual([]);
  });

  it('refuses secrets where they would be kept in Redis or shown in chat, also through env', () => {
    expect(
      check(`name: t
env: { TOKEN: '\${{ secrets.API_TOKEN }}' }
concurrency: { key: 'c-\${{ env.TOKEN }}' }
steps:
  - id: a
    name: 'step \${{ secrets.A }}'
    if: secrets.A != ''
    approval: { message: 'approve \${{ secrets.A }}?' }
  - id: b
    workflow: { name: t, inputs: { x: '\${{ secrets.A }}' } }
outputs: { o: '\${{ secrets.A }}' }
`),
    ).toEqual([
      'wf.yaml:3:24: concurrency.key: a secret (secrets.API_TOKEN) may not be used here (through env): the concurrency key is computed where the run starts (not on a worker) and kept in Redis',
      'wf.yaml:6:17: steps[0].name: a secret (secrets.A) may not be used here: step names are shown in chat',
      "wf.yaml:7:9: steps[0].if: a secret (secrets.A) may not be used here: a condition cannot read a secret (as in GitHub Actions); test an env value set from it inside a run script instead",
      'wf.yaml:8:35: steps[0].approval.message: a secret (secrets.A) may not be used here: the approval message is posted in chat',
      "wf.yaml:10:40: steps[1].workflow.inputs.x: a secret (secrets.A) may not be used here: a sub-workflow's inputs are kept in Redis with its run; let the sub-workflow read the secret itself",
      "wf.yaml:11:16: outputs.o: a secret (secrets.A) may not be used here: a run's outputs are kept in Redis and shown in chat",
    ]);
  });

  it('refuses computed access, bad names and the reserved KEY', () => {
    expect(
      check(`name: t
inputs: { which: { type: string } }
steps:
  - id: a
    env: { A: '\${{ secrets[inputs.which] }}', B: '\${{ toJSON(secrets) }}', C: '\${{ secrets.key }}' }
    run: echo
`),
    ).toEqual([
      'wf.yaml:5:16: steps[0].env.A: read each secret by its name (secrets.NAME), not the whole context or a computed name, so it can be checked and masked',
      'wf.yaml:5:51: steps[0].env.B: read each secret by its name (secrets.NAME), not the whole context or a computed name, so it can be checked and masked',
      "wf.yaml:5:80: steps[0].env.C: secrets.key is reserved: CHATOPS_SECRET_KEY is the bot's own key for sealing secret inputs; name the secret otherwise",
    ]);
  });

  it('lists the secrets a workflow needs, each once', () => {
    const wf = workflowSchema.parse(
      parse(`name: t
env: { TOKEN: '\${{ secrets.API_TOKEN }}' }
steps:
  - id: a
    env: { A: '\${{ secrets.api_token }}', B: '\${{ secrets.DB }}' }
    run: echo
on_failure:
  - id: f
    http: { url: 'http://h/?k=\${{ secrets.PAGER }}' }
`),
    );
    expect(secretsNeeded(wf)).toEqual(['API_TOKEN', 'DB', 'PAGER']);
  });
});
