/** The project the Discord integration tests run: the Slack tests' commands and workflows, a policy in Discord identities. */
import { SLACK_PROJECT } from './slack-project.js';

export const ALICE = '200000000000000001';
export const BOB = '200000000000000002';
export const CAROL = '200000000000000003';
export const EVE = '200000000000000005';
/** A Discord role whose members hold the policy role `sre`. */
export const SRE_ROLE = '300000000000000009';

export const DISCORD_PROJECT: Record<string, string> = {
  ...SLACK_PROJECT,
  'policy.yaml': `
roles:
  oncall: { members: [discord:${ALICE}, discord:${CAROL}] }
  sre: { members: [discord-role:${SRE_ROLE}] }
rules:
  - { commands: [restart, deploy, chatty, drip, wide], roles: [oncall, sre], channels: ["*"] }
approvals:
  - { workflows: ["*"], min_approvers: 1, roles: [sre], expires: 30m }
`,
};
