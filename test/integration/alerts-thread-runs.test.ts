/**
 * Runs started by people from an incident (issue 11), end to end on a real redis-server with the
 * fake Slack API, a real worker and the real front: a command typed in the incident's thread
 * starts a run whose expressions see the group's `alert` and `incident`, with the same values an
 * alert-started run of the same workflow sees.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { amSample, sendAlert } from '../helpers/alert-senders.js';
import { uniquePrefix } from '../helpers/redis.js';
import { startSlackIncidents, type SlackIncidents } from '../helpers/slack-incidents.js';
import { until } from '../helpers/until.js';

const FILES = {
  'workflows/probe.yaml': `
name: probe
description: Say what the incident's alert is.
inputs:
  service: { type: string, default: none }
steps:
  - id: show
    env:
      SERVICE: "\${{ alert.labels.service }}"
      SUMMARY: "\${{ alert.annotations.summary }}"
      STATUS: "\${{ alert.status }}"
      SOURCE: "\${{ alert.source }}"
      FINGERPRINT: "\${{ alert.fingerprint }}"
      INCIDENT: "\${{ incident.id }}"
      INPUT: "\${{ inputs.service }}"
    run: |
      for v in SERVICE SUMMARY STATUS SOURCE FINGERPRINT INCIDENT INPUT; do
        printf '%s=%s\\n' "$(echo "$v" | tr A-Z a-z)" "$(printenv "$v")" >> "$CHATOPS_OUTPUT"
      done
on:
  alert: { match: { alertname: HighErrorRate }, inputs: { service: "\${{ alert.labels.service }}" } }
`,
  'commands/probe.yaml': 'name: probe\nusage: probe\nworkflow: probe\n',
  'policy.yaml': `
roles:
  oncall: { members: [slack:U0ALICE] }
rules:
  - { commands: [probe], roles: [oncall], channels: ["*"] }
`,
};

describe('runs started from an incident', () => {
  const prefix = uniquePrefix('thread-runs');
  let h: SlackIncidents;
  beforeAll(async () => {
    h = await startSlackIncidents(FILES, prefix);
  });
  afterAll(() => h.close());

  const runsOf = async (id: string) => (await h.timeline(id)).flatMap((e) => (e.type === 'run' ? [e] : []));
  const outputsOf = async (runId: string) => (await until(`${runId} succeeded`, async () => ((await h.front.engine.getRun(runId))?.state === 'succeeded' ? h.front.engine.getRun(runId) : undefined), 60_000))?.steps.find((s) => s.id === 'show')?.outputs;

  it("a command typed in the thread sees the group's alert and incident, as the alert-started run does", async () => {
    const { fake, sender } = h;
    expect((await sendAlert(h.base, 'alertmanager', amSample('alertmanager-firing'), { token: 'am-token' })).status).toBe(202);
    const root = await until('the incident message', () => fake.roots('C0ALERTS').find((m) => m.text.startsWith('Firing: HighErrorRate')));
    const id = await h.incidentOf(root.ts);
    const [byAlert] = await until('the alert-started run', async () => ((await runsOf(id)).length === 1 ? runsOf(id) : undefined));
    const fromAlert = await outputsOf(byAlert?.runId ?? '');
    expect(fromAlert).toEqual({ service: 'checkout', summary: 'Checkout 5xx rate above 5%', status: 'firing', source: 'alertmanager', fingerprint: 'b2c5271eba04eedb', incident: id, input: 'checkout' });

    await sender.mention({ text: '<@UBOT> probe', user: 'U0ALICE', channel: 'C0ALERTS', threadTs: root.ts });
    const byHand = await until('the thread-started run', async () => (await runsOf(id)).find((e) => e.by === 'slack:U0ALICE'));
    // The same alert and incident; only the input differs, as the command did not map it.
    expect(await outputsOf(byHand.runId)).toEqual({ ...fromAlert, input: 'none' });
    await until('its header in the thread', () => fake.messages.find((m) => m.threadTs === root.ts && m.text.includes(byHand.runId) && m.text.endsWith(': succeeded')));
  }, 120_000);
});
