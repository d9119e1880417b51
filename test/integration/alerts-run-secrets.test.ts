/**
 * A run an alert started, with one-character secret inputs that occur in what names the alert and
 * its incident: the delivery goes through the intake's store, the incident consumer and the
 * runbook starter into a real engine and worker (private Redis), as in `chatops serve`.
 */
import { describe, expect, it } from '@jest/globals';
import { IncidentConsumer } from '../../src/alerts/consumer.js';
import { DeliveryStore } from '../../src/alerts/delivery-store.js';
import { IncidentStore } from '../../src/alerts/incident-store.js';
import { RunbookStarter } from '../../src/alerts/runbook-starter.js';
import { compileRunbooks } from '../../src/alerts/runbook-triggers.js';
import { parseNotification } from '../../src/alerts/sources/index.js';
import type { RunMeta } from '../../src/engine/run-context.js';
import { silentLogger } from '../../src/lib/logger.js';
import { amPayload } from '../helpers/am-payload.js';
import { closeHarnessesAfterEach } from '../helpers/close-harnesses.js';
import { harness, workflowsFrom } from '../helpers/engine-harness.js';
import { testRedis, testRedisUrl } from '../helpers/redis.js';

// The step fails unless its expressions read the incident id, fingerprint, status and source as
// they are; the label value holding a secret reads masked.
const PROBE = `
name: probe
inputs:
  pin: { type: string, required: true, secret: true }
  tag: { type: string, required: true, secret: true }
env:
  ID: \${{ incident.id }}
  SEEN: "\${{ alert.fingerprint }}/\${{ alert.status }}/\${{ alert.source }}"
  TEAM: \${{ alert.labels.team }}
steps:
  - id: look
    run: |
      case "$ID" in i-[0-9a-z][0-9a-z][0-9a-z][0-9a-z][0-9a-z][0-9a-z]) ;; *) echo "incident id read as $ID"; exit 1 ;; esac
      test "$SEEN" = "fire-1/firing/alertmanager" || { echo "read $SEEN"; exit 1; }
      test "$TEAM" = "***nf***a" || { echo "team read as $TEAM"; exit 1; }
on:
  alert:
    matchers: ['alertname="Probe"']
    inputs: { pin: i, tag: r }
`;

describe('a run an alert started, with one-character secrets', () => {
  closeHarnessesAfterEach();

  it('reads and stores the incident id, fingerprint, status and source as they are, and masks the secrets in label and annotation values', async () => {
    const h = await harness(workflowsFrom(PROBE));
    const prefix = h.opts.prefix;
    const redis = testRedis();
    const deliveries = new DeliveryStore(testRedisUrl(), prefix, silentLogger);
    const store = new IncidentStore(redis, prefix);
    const starter = new RunbookStarter({ redis, store, runs: h.engine, runbooks: compileRunbooks(h.opts.project.workflows.values()), log: silentLogger });
    const consumer = new IncidentConsumer({ redis, prefix, log: silentLogger, triggers: (change) => starter.onChange(change), blockMs: 100 });
    try {
      const parsed = parseNotification('alertmanager', amPayload('Probe', [{ fp: 'fire-1', labels: { team: 'infra' }, annotations: { summary: 'disk is full' } }]));
      if (!parsed.ok || !('notification' in parsed)) throw new Error('payload did not parse');
      await deliveries.ready();
      const rec = await deliveries.record(parsed.notification);
      if (!rec.recorded) throw new Error('not recorded');
      consumer.start();
      await consumer.processed(rec.id);
      const incident = (await store.idOfGroup('alertmanager', parsed.notification.groupKey)) ?? '';
      expect(incident).toMatch(/^i-[0-9a-z]{6}$/);
      const runId = (await store.timeline(incident)).flatMap((e) => (e.type === 'run' ? [e.runId] : []))[0] ?? '';

      const done = await h.waitFor(runId);
      const lines = (await h.engine.readEvents(runId)).flatMap((e) => (e.type === 'step.output' ? e.lines : []));
      expect([done.state, lines]).toEqual(['succeeded', []]);
      const meta = JSON.parse((await redis.hget(h.engine.keys.run(runId), 'meta')) ?? '{}') as RunMeta;
      expect(meta.alert).toMatchObject({
        status: 'firing',
        source: 'alertmanager',
        fingerprint: 'fire-1',
        startsAt: '2026-12-01T10:00:00Z',
        labels: { alertname: 'P***obe', team: '***nf***a' },
        annotations: { summary: 'd***sk ***s full' },
        incident: { id: incident, title: 'P***obe' },
      });
      expect(meta.trigger).toMatchObject({ kind: 'alert', source: 'alertmanager', requester: 'alert:alertmanager' });
    } finally {
      await consumer.close();
      deliveries.close();
      await redis.quit();
    }
  });
});
