/**
 * Working an incident from its Slack thread (issue 11), end to end on a real redis-server with the
 * fake Slack API, a real worker and the real front: commands typed in the incident's thread are
 * bound to it (on its timeline; a run started there is followed to its approval and end), and
 * `postmortem` there answers with the incident's Markdown, as a file when it is long.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { TimelineEntry } from '../../src/alerts/incident.js';
import { startWorker, type WorkerHandle } from '../../src/engine/index.js';
import { silentLogger } from '../../src/lib/logger.js';
import type { Front } from '../../src/server/front.js';
import { FakeSlackApi } from '../fakes/slack-api.js';
import { fakeSlackConfig, SlackSender } from '../fakes/slack-requests.js';
import { amSample, sendAlert } from '../helpers/alert-senders.js';
import { spawnCli } from '../helpers/cli-child.js';
import { removeDir, startAlertsFront, writeProject } from '../helpers/alerts-front.js';
import { testRedis, testRedisUrl, uniquePrefix } from '../helpers/redis.js';
import { until } from '../helpers/until.js';

const FILES = {
  'workflows/purge.yaml': `
name: purge
description: Purge old files from a disk after an SRE agrees.
inputs:
  host: { type: string, required: true }
  token: { type: string, secret: true, default: none }
steps:
  - id: confirm
    approval: { message: "Purge /var on \${{ inputs.host }}?", roles: [sre] }
  - id: purge
    needs: confirm
    env: { HOST: "\${{ inputs.host }}" }
    run: |
      echo "purged /var on $HOST"
      pad=$(head -c 3000 /dev/zero | tr '\\0' x)
      for i in 1 2 3 4 5; do echo "freed chunk $i $pad"; done
`,
  'commands/purge.yaml': 'name: purge\nusage: purge {host}\nworkflow: purge\n',
  'policy.yaml': `
roles:
  oncall: { members: [slack:U0ALICE] }
  sre: { members: [slack:U0BOB] }
rules:
  - { commands: ["*"], roles: [oncall, sre], channels: ["*"] }
`,
};

describe('an incident worked from its Slack thread', () => {
  let dir: string;
  let fake: FakeSlackApi;
  let front: Front;
  let worker: WorkerHandle;
  let base: string;
  let sender: SlackSender;
  const prefix = uniquePrefix('thread');
  const redis = testRedis();

  beforeAll(async () => {
    let project;
    ({ dir, project } = await writeProject(FILES));
    fake = await new FakeSlackApi().start();
    ({ front, base } = await startAlertsFront({ redisUrl: testRedisUrl(), prefix, project, slack: fakeSlackConfig(fake), alerts: { defaultChannel: 'slack:C0ALERTS' } }));
    worker = await startWorker({ redisUrl: testRedisUrl(), prefix, project, log: silentLogger, secretKey: 'alerts-tests-secret-key', concurrency: 2 });
    sender = new SlackSender(`${base}/slack/events`);
  });
  afterAll(async () => {
    await front.close();
    await worker.close();
    await fake.stop();
    await redis.quit();
    removeDir(dir);
  });

  const timeline = async (id: string) => (await redis.lrange(`${prefix}:incident:${id}:timeline`, '0', '-1')).map((j) => JSON.parse(j) as TimelineEntry);

  it('records commands, a run with its approval and end, the resolution; postmortem answers in the thread', async () => {
    expect((await sendAlert(base, 'alertmanager', amSample('alertmanager-group-firing-2alerts'), { token: 'am-token' })).status).toBe(202);
    const root = await until('the incident message', () => fake.roots('C0ALERTS').find((m) => m.text.startsWith('Firing: DiskFull')));
    const id = (await redis.zrange(`${prefix}:incidents`, '0', '-1'))[0] ?? '';
    expect(id).toMatch(/^i-[0-9a-z]{6}$/);
    await until('the thread bound to the incident', async () => (await redis.get(`${prefix}:incident:thread:slack:C0ALERTS:${root.ts}`)) === id);

    await sender.mention({ text: '<@UBOT> purge db-1 token=hunter2hunter2', user: 'U0ALICE', channel: 'C0ALERTS', threadTs: root.ts });
    const runEntry = await until('the run on the timeline', async () => (await timeline(id)).find((e) => e.type === 'run'));
    if (runEntry.type !== 'run') throw new Error('unreachable');
    expect(runEntry.by).toBe('slack:U0ALICE');
    await sender.mention({ text: `<@UBOT> approve ${runEntry.runId}`, user: 'U0BOB', channel: 'C0ALERTS', threadTs: root.ts });
    await until('the run end on the timeline', async () => (await timeline(id)).find((e) => e.type === 'run-ended'), 30_000);

    expect((await sendAlert(base, 'alertmanager', amSample('alertmanager-group-partial-resolved'), { token: 'am-token' })).status).toBe(202);
    expect((await sendAlert(base, 'alertmanager', amSample('alertmanager-group-resolved-last'), { token: 'am-token' })).status).toBe(202);
    await until('resolved', async () => (await timeline(id)).find((e) => e.type === 'resolved'));

    const entries = await timeline(id);
    const commands = entries.filter((e): e is Extract<TimelineEntry, { type: 'command' }> => e.type === 'command');
    // What was typed, with the secret input's value masked before it was stored.
    expect(commands.map((c) => [c.by, c.text])).toEqual([
      ['slack:U0ALICE', 'purge db-1 token=***'],
      ['slack:U0BOB', `approve ${runEntry.runId}`],
    ]);
    expect(JSON.stringify(entries)).not.toContain('hunter2');
    expect(entries.find((e) => e.type === 'approval')).toMatchObject({ runId: runEntry.runId, step: 'confirm', by: 'slack:U0BOB', decision: 'approve', counted: true });
    expect(entries.find((e) => e.type === 'run-ended')).toMatchObject({ runId: runEntry.runId, workflow: 'purge', state: 'succeeded' });
    expect(entries.map((e) => e.type)).toEqual(['opened', 'alerts', 'command', 'run', 'command', 'approval', 'run-ended', 'alerts', 'alerts', 'resolved']);

    // The run's own messages (and its log file) are written before the postmortem is asked for: they share the channel's budget.
    await until('the run reported', async () => (await front.reporters.store.load(runEntry.runId))?.done, 60_000);
    await sender.mention({ text: '<@UBOT> postmortem', user: 'U0ALICE', channel: 'C0ALERTS', threadTs: root.ts });
    const file = await until('the postmortem file', () => [...fake.files.values()].find((f) => f.filename === `${id}-postmortem.md` && f.content && f.channel), 60_000);
    expect(file).toMatchObject({ channel: 'C0ALERTS', threadTs: root.ts });
    const md = file.content?.toString() ?? '';
    expect(md).toMatch(/^# Postmortem: DiskFull\n/);
    expect(md).toContain('| Participants | slack:U0ALICE, slack:U0BOB |');
    expect(md).toContain('slack:U0BOB approved step confirm of');
    expect(md).toContain(`### ${runEntry.runId} · purge — succeeded`);
    expect(md).toContain('purged /var on db-1');
    expect(md).toContain('`token=***`');
    expect(md).not.toContain('hunter2');
    expect(md).toContain('## Root cause');
    // Longer than one Slack reply: a short note where it was asked, the Markdown as a file.
    expect(md.length).toBeGreaterThan(12_000);
    const note = await until('the note in the thread', () => fake.messages.find((m) => m.threadTs === root.ts && m.ephemeralTo === 'U0ALICE' && m.text.startsWith(`postmortem of ${id}`)));
    expect(note.text).toMatch(new RegExp(`attached as ${id}-postmortem.md$`));
    // The postmortem request itself is on the timeline too.
    expect((await timeline(id)).at(-1)).toMatchObject({ type: 'command', text: 'postmortem' });

    // The same document from a terminal; an unknown incident exits 2.
    const out = join(dir, 'pm.md');
    const env = { REDIS_URL: testRedisUrl(), CHATOPS_PREFIX: prefix, CHATOPS_DIR: dir, CHATOPS_SECRET_KEY: 'alerts-tests-secret-key', LOG_LEVEL: 'warn' };
    const cli = spawnCli(['postmortem', id, '--out', out], env);
    expect((await cli.exited).code).toBe(0);
    const written = readFileSync(out, 'utf8');
    expect(written.replace(/drafted [^·\n]+ UTC/, '')).toBe(md.replace(/drafted [^·\n]+ UTC/, ''));
    const missing = spawnCli(['postmortem', 'i-zzzzzz'], env);
    expect((await missing.exited).code).toBe(2);
    expect(missing.out()).toContain('no incident i-zzzzzz');
  }, 180_000);
});
