/** The project (commands, workflows, policy) the Slack integration tests run. */
export const SLACK_PROJECT: Record<string, string> = {
  'workflows/restart-service.yaml': `
name: restart-service
description: Restart a service on a host.
inputs:
  service: { type: string, required: true, pattern: '^[a-z][a-z0-9-]{0,30}$' }
  host: { type: string, required: true }
steps:
  - id: precheck
    name: Pre-check
    env: { SERVICE: "\${{ inputs.service }}", HOST: "\${{ inputs.host }}" }
    run: |
      echo "checking $SERVICE on $HOST"
      echo "all good"
  - id: restart
    needs: precheck
    run: echo "restarted"
`,
  'workflows/deploy.yaml': `
name: deploy
description: Deploy a service after an SRE approves.
inputs:
  service: { type: string, required: true }
steps:
  - id: approve
    approval: { message: "Deploy \${{ inputs.service }} to prod?", roles: [sre] }
  - id: ship
    needs: approve
    run: echo shipped
`,
  'workflows/chatty.yaml': `
name: chatty
description: Writes a lot of output.
inputs:
  lines: { type: number, default: 200 }
steps:
  - id: spew
    env: { N: "\${{ inputs.lines }}" }
    run: |
      i=0
      while [ $i -lt $N ]; do echo "output line $i & <b>"; i=$((i+1)); done
`,
  'workflows/wide.yaml': `
name: wide
description: Output so wide that the run's transcript outgrows a Slack message many times over.
steps:
  - id: spew
    run: |
      pad=$(head -c 3900 /dev/zero | tr '\\0' x)
      i=0
      while [ $i -lt 60 ]; do echo "wide line $i & <b> $pad"; i=$((i+1)); done
  - id: wrap-up
    needs: spew
    run: |
      echo "wrap-up: the wide lines are written"
      echo "wrap-up: last line"
`,
  'commands/wide.yaml': `
name: wide
usage: wide
workflow: wide
`,
  'workflows/drip.yaml': `
name: drip
description: Writes output steadily for about three seconds.
steps:
  - id: drip
    run: |
      i=0
      while [ $i -lt 30 ]; do echo "tick $i"; i=$((i+1)); sleep 0.1; done
`,
  'commands/drip.yaml': `
name: drip
usage: drip
workflow: drip
`,
  'commands/restart.yaml': `
name: restart
description: Restart a service on a host.
usage: restart {service} on {host}
workflow: restart-service
examples: ["restart api on web-1"]
`,
  'commands/deploy.yaml': `
name: deploy
usage: deploy {service}
workflow: deploy
examples: ["deploy api"]
`,
  'commands/chatty.yaml': `
name: chatty
usage: chatty
workflow: chatty
examples: ["chatty lines=500"]
`,
  'policy.yaml': `
roles:
  oncall: { members: [slack:U0ALICE, slack:U0CAROL] }
  sre: { members: [slack-group:S0SRE] }
rules:
  - { commands: [restart, deploy, chatty, drip], roles: [oncall, sre], channels: ["*"] }
  - { commands: [wide], roles: [oncall, sre], channels: ["*"] }
approvals:
  - { workflows: ["*"], min_approvers: 1, roles: [sre], expires: 30m }
`,
};
