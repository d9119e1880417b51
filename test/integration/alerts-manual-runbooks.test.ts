/**
 * Runbooks started by hand from an incident (issue 11): a workflow whose `on.alert` says
 * `start: manual` is a button on each incident it matches instead of starting on its own. End to
 * end on a real redis-server with the fake Slack API, a real worker and the real front: the button
 * is on the message, policy decides who may click it (refusals audited), a click starts the run
 * bound to the incident (its timeline, its thread, the group's `alert` context, the audit trail).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readAudit, type AuditRecord } from '../../src/chat/audit.js';
import { amSample, sendAlert } from '../helpers/alert-senders.js';
import { uniquePrefix } from '../helpers/redis.js';
import { startSlackIncidents, type SlackIncidents } from '../helpers/slack-incidents.js';
import { until } from '../helpers/until.js';

const FILES = {
  'workflows/drain.yaml': `
name: drain
description: Drain the service's traffic, when a person decides to.
inputs:
  service: { type: string, required: true }
steps:
  - id: show
    env:
      SERVICE: "\${{ inputs.service }}"
      SUMMARY: "\${{ alert.annotations.summary }}"
      SOURCE: "\${{ alert.source }}"
      INCIDENT: "\${{ incident.id }}"
    run: |
      for v in SERVICE SUMMARY SOURCE INCIDENT; do
        printf '%s=%s\\n' "$(echo "$v" | tr A-Z a-z)" "$(printenv "$v")" >> "$CHATOPS_OUTPUT"
      done
on:
  alert: { match: { alertname: HighErrorRate }, start: manual, inputs: { service: "\${{ alert.labels.service }}" } }
`,
  'workflows/grow-disk.yaml': `
name: grow-disk
steps:
  - id: a
    run: "true"
on:
  alert: { match: { alertname: DiskFull }, start: manual }
`,
  'policy.yaml': `
roles:
  oncall: { members: [slack:U0ALICE] }
  viewer: { members: [slack:U0EVE] }
rules:
  - { commands: [run, ack], roles: [oncall], channels: ["*"] }
`,
};

describe('runbooks started by hand from an incident', () => {
  const prefix = uniquePrefix('manual-rb');
  let h: SlackIncidents;
  beforeAll(async () => {
    h = await startSlackIncidents(FILES, prefix);
  });
  afterAll(() => h.close());

  const audit = async () => {
    const out: AuditRecord[] = [];
    for await (const r of readAudit(h.redis, prefix, { sinceMs: 0 })) out.push(r);
    return out;
  };

  it('shows a button the alert does not press; a click by who policy allows starts the run in the thread', async () => {
    const { fake, sender, front, timeline } = h;
    expect((await sendAlert(h.base, 'alertmanager', amSample('alertmanager-firing'), { token: 'am-token' })).status).toBe(202);
    const root = await until('the incident message', () => fake.roots('C0ALERTS').find((m) => m.text.startsWith('Firing: HighErrorRate')));
    const id = await h.incidentOf(root.ts);
    const blocks = JSON.stringify(root.blocks);
    expect(blocks).toContain(`"action_id":"incident|run ${id} drain"`);
    expect(blocks).toContain('Run drain');
    // Only the runbook whose on.alert matches this incident is offered.
    expect(blocks).not.toContain('grow-disk');
    // The alert itself starts nothing: manual means a person decides.
    expect((await timeline(id)).filter((e) => e.type === 'run' || e.type === 'run-skipped')).toEqual([]);

    const click = async (user: string) => {
      const responseUrl = fake.responseUrl();
      await sender.click({ actionId: `incident|run ${id} drain`, user, channel: 'C0ALERTS', messageTs: root.ts, responseUrl });
      return responseUrl;
    };
    // Eve holds a role, but no rule grants her `run`: refused to her alone, audited, nothing started.
    const eveUrl = await click('U0EVE');
    expect(JSON.stringify((await until('the refusal', () => fake.postsTo(eveUrl)[0])).body)).toContain(`You may not start drain from ${id}`);
    await until('the refusal audited', async () => (await audit()).find((r) => r.type === 'denied' && r.who === 'slack:U0EVE' && r.command === 'run'));

    const aliceUrl = await click('U0ALICE');
    const ack = await until('the ack', () => fake.postsTo(aliceUrl)[0]);
    const runId = /Starting (r-[0-9a-z]+)/.exec(JSON.stringify(ack.body))?.[1] ?? '';
    expect(runId).toMatch(/^r-/);
    const run = await until(`${runId} succeeded`, async () => ((await front.engine.getRun(runId))?.state === 'succeeded' ? front.engine.getRun(runId) : undefined), 60_000);
    // Its inputs mapped from the alert (on.alert.inputs), its expressions reading the group's alert and incident.
    expect(run?.steps.find((s) => s.id === 'show')?.outputs).toEqual({ service: 'checkout', summary: 'Checkout 5xx rate above 5%', source: 'alertmanager', incident: id });
    expect(run?.trigger.requester).toBe('slack:U0ALICE');
    // Reported in the incident's thread, not as a new message in the channel.
    await until('its header in the thread', () => fake.messages.find((m) => m.threadTs === root.ts && m.text.includes(runId) && m.text.endsWith(': succeeded')));
    expect(fake.roots('C0ALERTS').filter((m) => m.text.includes(runId))).toEqual([]);

    const entries = await until('the run end on the timeline', async () => ((await timeline(id)).some((e) => e.type === 'run-ended') ? timeline(id) : undefined), 30_000);
    expect(entries.filter((e) => e.type === 'command' || e.type === 'run' || e.type === 'run-ended')).toEqual([
      expect.objectContaining({ type: 'command', by: 'slack:U0EVE', text: `run ${id} drain` }),
      expect.objectContaining({ type: 'command', by: 'slack:U0ALICE', text: `run ${id} drain` }),
      expect.objectContaining({ type: 'run', runId, workflow: 'drain', by: 'slack:U0ALICE' }),
      expect.objectContaining({ type: 'run-ended', runId, state: 'succeeded' }),
    ]);
    expect(await audit()).toContainEqual(expect.objectContaining({ type: 'started', who: 'slack:U0ALICE', command: 'run', text: `run ${id} drain`, runId }));

    // Typed in the thread: a runbook the incident does not offer is refused, saying why.
    await sender.mention({ text: '<@UBOT> run grow-disk', user: 'U0ALICE', channel: 'C0ALERTS', threadTs: root.ts });
    await until('the refusal', () => fake.messages.find((m) => m.threadTs === root.ts && m.ephemeralTo === 'U0ALICE' && m.text.includes(`${id} does not offer grow-disk`)));
    await sender.mention({ text: '<@UBOT> run', user: 'U0ALICE', channel: 'C0ALERTS', threadTs: root.ts });
    await until('the usage, naming what it offers', () => fake.messages.find((m) => m.threadTs === root.ts && m.ephemeralTo === 'U0ALICE' && m.text.includes('run: which runbook?') && JSON.stringify(m.blocks).includes(`${id} offers: drain`)));
    expect((await timeline(id)).filter((e) => e.type === 'run')).toHaveLength(1);

    // `chatops audit` (issue 15) shows Eve's refused run and Alice's start, as a SIEM reads them.
    const trail = await h.auditCli();
    expect(trail.filter((r) => r.text === `run ${id} drain`).map((r) => [r.who, r.action, r.command, r.runId ?? r.incidentId])).toEqual([
      ['slack:U0EVE', 'refused', 'run', id],
      ['slack:U0ALICE', 'started', 'run', runId],
    ]);
  }, 180_000);
});
