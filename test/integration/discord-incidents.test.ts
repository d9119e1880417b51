/**
 * Incidents on Discord (issue 11: Slack, Discord and the terminal alike), end to end with the real
 * front, the real REST client, the fake Discord API and a real worker: the incident message carries
 * its buttons (Acknowledge, Silence…, Run NAME for a `start: manual` runbook) and starts a thread;
 * clicks go through policy like typed commands (refused privately), Acknowledge makes the message
 * read Acknowledged with who handles it, Run starts the runbook in the incident's thread, and /ops
 * typed in that thread is bound to the incident.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { FakeDiscordApi } from '../fakes/discord-api.js';
import { discordFrontHarness, type DiscordFrontHarness } from '../fakes/discord-front.js';
import { amSample, sendAlert } from '../helpers/alert-senders.js';
import { ALERT_SECRETS } from '../helpers/alerts-front.js';
import { ALICE, EVE } from './discord-project.js';

const CHANNEL = '500000000000000901';
const EPHEMERAL = 64;
const shown = FakeDiscordApi.shown;

const FILES = {
  'workflows/drain.yaml': `
name: drain
inputs:
  service: { type: string, required: true }
steps:
  - id: show
    env: { SERVICE: "\${{ inputs.service }}", INCIDENT: "\${{ incident.id }}" }
    run: echo "draining $SERVICE for $INCIDENT"
on:
  alert: { match: { alertname: HighErrorRate }, start: manual, inputs: { service: "\${{ alert.labels.service }}" } }
`,
  'policy.yaml': `
roles:
  oncall: { members: [discord:${ALICE}] }
  viewer: { members: [discord:${EVE}] }
rules:
  - { commands: [ack, run], roles: [oncall], channels: ["*"] }
`,
};

describe('incidents on Discord', () => {
  let h: DiscordFrontHarness;
  beforeAll(async () => {
    h = await discordFrontHarness(FILES, { alerts: { secrets: ALERT_SECRETS, defaultChannel: `discord:${CHANNEL}` } });
  });
  afterAll(() => h.close());

  it('buttons on the message, a thread bound to the incident, clicks checked by policy', async () => {
    expect((await sendAlert(h.base, 'alertmanager', amSample('alertmanager-firing'), { token: 'am-token' })).status).toBe(202);
    const root = await h.fake.waitFor(() => h.fake.inChannel(CHANNEL).find((m) => m.content.startsWith('Firing: HighErrorRate')), 20_000, 'the incident message');
    const ids = root.components.flatMap((r) => r.components.map((c) => c.custom_id ?? ''));
    const id = /^incident\|ack (i-[0-9a-z]{6})$/.exec(ids[0] ?? '')?.[1] ?? '';
    expect(ids).toEqual([`incident|ack ${id}`, `incident|silence ${id} 1h`, `incident|silence ${id} 4h`, `incident|run ${id} drain`]);
    expect(root.components[0]?.components.map((c) => c.label)).toEqual(['Acknowledge', 'Silence 1h', 'Silence 4h', 'Run drain']);
    // The incident's thread, started from its message: its changes go there.
    expect(await h.fake.waitFor(() => h.fake.threads.get(root.id), 20_000, 'the thread')).toMatchObject({ parentId: CHANNEL });
    await h.fake.waitFor(() => h.fake.inChannel(root.id).find((m) => m.content.includes('alert joined')), 20_000, 'the first change in the thread');

    const eve = await h.sender.click({ user: EVE, channel: CHANNEL }, `incident|ack ${id}`, root.id);
    expect(eve.acked).toBe(true);
    const refusal = await h.fake.waitFor(() => [...h.fake.messages.values()].find((m) => m.interactionId === eve.interaction?.id && m.flags === EPHEMERAL), 20_000, 'the private refusal');
    expect(shown(refusal)).toContain(`You may not ack ${id}`);

    await h.sender.click({ user: ALICE, channel: CHANNEL }, `incident|ack ${id}`, root.id);
    await h.fake.waitFor(() => (h.fake.messages.get(root.id)?.content.startsWith('Acknowledged: HighErrorRate') ? true : undefined), 20_000, 'the message acknowledged');
    expect(shown(h.fake.messages.get(root.id) ?? root)).toContain(`discord:${ALICE}`);
    // Acknowledged: the button is gone, Run stays.
    expect(h.fake.messages.get(root.id)?.components.flatMap((r) => r.components.map((c) => c.custom_id))).toEqual([`incident|silence ${id} 1h`, `incident|silence ${id} 4h`, `incident|run ${id} drain`]);

    await h.sender.click({ user: ALICE, channel: CHANNEL }, `incident|run ${id} drain`, root.id);
    const output = await h.fake.waitFor(() => h.fake.inChannel(root.id).find((m) => shown(m).includes(`draining checkout for ${id}`)), 30_000, 'the run reported in the incident thread');
    expect(output).toBeDefined();

    // /ops typed in the incident's thread is bound to it.
    const status = await h.sender.ops({ user: ALICE, channel: root.id, parent: CHANNEL }, 'status');
    expect(JSON.stringify(status.body)).toContain(`${id}: HighErrorRate`);
    expect(JSON.stringify(status.body)).toContain('drain');
    expect(h.fake.invalidBodies).toEqual([]);
  }, 90_000);
});
