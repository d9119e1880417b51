/**
 * The project of the chaos test: `chain` (three marking steps, the middle one on pool `db`) and
 * `gated` (an SRE's approval, then a marking step on `db`). Every shell step appends start, tick and
 * end marks to one file (test/helpers/attempt-marks.ts) and is safe to retry.
 */
import { MARKING_SCRIPT } from '../helpers/attempt-marks.js';

function indent(text: string, spaces: number): string {
  return text
    .split('\n')
    .map((l) => (l ? ' '.repeat(spaces) + l : l))
    .join('\n');
}

const STEP_SCRIPT = `run: |\n${indent(MARKING_SCRIPT, 2)}`;

function marking(id: string, extra: string): string {
  return `  - id: ${id}\n    safe_to_retry: true\n${extra}${indent(STEP_SCRIPT, 4)}`;
}

export function chaosProject(marksFile: string): Record<string, string> {
  const env = `env: { MARKS: ${JSON.stringify(marksFile)}, TICKS: "4" }`;
  return {
    'workflows/chain.yaml': `name: chain
description: Three short steps, the middle one on the db pool.
${env}
steps:
${marking('prep', '')}
${marking('apply', '    needs: prep\n    runs_on: db\n')}
${marking('check', '    needs: apply\n')}
`,
    'workflows/gated.yaml': `name: gated
description: An SRE approves, then a step runs on the db pool.
${env}
steps:
  - id: approve
    approval: { message: "Go ahead?", roles: [sre] }
${marking('apply', '    needs: approve\n    runs_on: db\n')}
`,
    'commands/chain.yaml': 'name: chain\nusage: chain\nworkflow: chain\n',
    'commands/gated.yaml': 'name: gated\nusage: gated\nworkflow: gated\n',
    'policy.yaml': `roles:
  oncall: { members: [slack:U0ALICE] }
  sre: { members: [slack:U0BOB] }
rules:
  - { commands: [chain, gated], roles: [oncall], channels: ["*"] }
approvals:
  - { workflows: ["*"], min_approvers: 1, roles: [sre], expires: 30m }
`,
  };
}
