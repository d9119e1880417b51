/**
 * Working an incident from its Slack thread (issue 11), end to end on a real redis-server with the
 * fake Slack API, a real worker and the real front: commands typed in the incident's thread are
 * bound to it (on its timeline; a run started there is followed to its approval and end), and
 * `postmortem` there answers with the incident's Markdown, as a file when it is long.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { TimelineEntry } from '../../src/alerts/incident.js';
import { amSample, sendAlert } from '../helpers/alert-senders.js';
import { spawnCli } from '../helpers/cli-child.js';
import { readAudit } from '../../src/chat/audit.js';
import { testRedisUrl, uniquePrefix } from '../helpers/redis.js';
import { startSlackIncidents, type SlackIncidents } from '../helpers/slack-incidents.js';
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
  viewer: { members: [slack:U0EVE] }
rules:
  - { commands: [purge], roles: [oncall, sre], channels: ["*"] }
  - { commands: [ack, silence], roles: [oncall], channels: ["*"] }
`,
};

/**
 * Alertmanager's silence API v2 at the HTTP level (POST /api/v2/silences, DELETE
 * /api/v2/silence/{id}), checking the request as Alertmanager's OpenAPI spec defines it.
 */
interface FakeAlertmanager {
  url: string;
  silences: Map<string, { body: Record<string, unknown>; deleted: boolean }>;
  close(): Promise<void>;
}
async function startFakeAlertmanager(): Promise<FakeAlertmanager> {
  const silences = new Map<string, { body: Record<string, unknown>; deleted: boolean }>();
  const server = createServer((req, res) => {
    let raw = '';
    req.on('data', (d: Buffer) => (raw += d.toString()));
    req.on('end', () => {
      const del = /^\/api\/v2\/silence\/([0-9a-f-]+)$/.exec(req.url ?? '');
      if (req.method === 'POST' && req.url === '/api/v2/silences') {
        const body = JSON.parse(raw) as { matchers?: { name: string; value: string; isRegex: boolean; isEqual?: boolean }[]; startsAt?: string; endsAt?: string; createdBy?: string; comment?: string };
        const ok = Array.isArray(body.matchers) && body.matchers.length > 0 && body.matchers.every((m) => typeof m.name === 'string' && typeof m.value === 'string' && typeof m.isRegex === 'boolean') && !!body.createdBy && !!body.comment && Date.parse(body.endsAt ?? '') > Date.parse(body.startsAt ?? '');
        if (!ok) return void res.writeHead(400, { 'content-type': 'application/json' }).end('"invalid silence"');
        const id = randomUUID();
        silences.set(id, { body, deleted: false });
        return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ silenceID: id }));
      }
      if (req.method === 'DELETE' && del?.[1] && silences.has(del[1])) {
        const s = silences.get(del[1]);
        if (s) s.deleted = true;
        return void res.writeHead(200).end();
      }
      res.writeHead(404).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, silences, close: () => new Promise<void>((r) => server.close(() => r())) };
}

describe('an incident worked from its Slack thread', () => {
  const prefix = uniquePrefix('thread');
  let h: SlackIncidents;
  let am: FakeAlertmanager;
  beforeAll(async () => {
    am = await startFakeAlertmanager();
    h = await startSlackIncidents(FILES, prefix, { alertmanagerUrl: am.url });
  });
  afterAll(async () => {
    await h.close();
    await am.close();
  });

  it('records commands, a run with its approval and end, the resolution; postmortem answers in the thread', async () => {
    const { fake, sender, front, redis, timeline, base, dir } = h;
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
    // The run reported in the incident's thread: its header is a reply there, not a new message.
    await until('the run header in the thread', () => fake.messages.find((m) => m.threadTs === root.ts && m.text.includes(runEntry.runId) && m.text.endsWith(': succeeded')));
    expect(fake.roots('C0ALERTS').filter((m) => m.text.includes(runEntry.runId))).toEqual([]);

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

  it('buttons acknowledge and silence (policy decides who), unsilence, status lists alerts and runs, resolve needs a rule', async () => {
    const { fake, sender, timeline, base } = h;
    expect((await sendAlert(base, 'alertmanager', amSample('alertmanager-firing'), { token: 'am-token' })).status).toBe(202);
    const root = await until('the incident message', () => fake.roots('C0ALERTS').find((m) => m.text.includes('HighErrorRate')));
    const id = await h.incidentOf(root.ts);
    expect(JSON.stringify(root.blocks)).toContain(`incident|ack ${id}`);
    expect(JSON.stringify(root.blocks)).toContain(`incident|silence ${id} 1h`);
    const click = (user: string, command: string) => {
      const responseUrl = fake.responseUrl();
      return sender.click({ actionId: `incident|${command}`, user, channel: 'C0ALERTS', messageTs: root.ts, responseUrl }).then(() => responseUrl);
    };

    // Policy: eve holds a role but no rule lets her acknowledge; she is told, nothing changes.
    const eveUrl = await click('U0EVE', `ack ${id}`);
    const refusal = await until('the refusal', () => fake.postsTo(eveUrl)[0]);
    expect(JSON.stringify(refusal.body)).toContain(`You may not ack ${id}`);
    const bobUrl = await click('U0BOB', `silence ${id} 1h`);
    expect(JSON.stringify((await until('the refusal', () => fake.postsTo(bobUrl)[0])).body)).toContain(`You may not silence ${id}`);
    expect(am.silences.size).toBe(0);

    await click('U0ALICE', `ack ${id}`);
    await until('the message says who handles it', () => root.text.startsWith('Acknowledged: HighErrorRate') && root.text.includes('handled by slack:U0ALICE'));
    await click('U0ALICE', `silence ${id} 1h`);
    const [silenceId, silence] = await until('the silence in Alertmanager', () => [...am.silences][0]);
    expect(silence.body).toMatchObject({ createdBy: 'slack:U0ALICE' });
    expect(silence.body.matchers).toEqual(expect.arrayContaining([{ name: 'alertname', value: 'HighErrorRate', isRegex: false, isEqual: true }, { name: 'service', value: 'checkout', isRegex: false, isEqual: true }]));
    expect(Date.parse(String(silence.body.endsAt)) - Date.parse(String(silence.body.startsAt))).toBe(3_600_000);
    await until('the message says silenced', () => root.text.startsWith('Silenced: HighErrorRate'));
    await until('the thread names the silence', () => fake.messages.find((m) => m.threadTs === root.ts && m.text.includes(silenceId)));

    await sender.mention({ text: '<@UBOT> unsilence', user: 'U0ALICE', channel: 'C0ALERTS', threadTs: root.ts });
    await until('the silence expired', () => am.silences.get(silenceId)?.deleted);
    await until('the message no longer silenced', () => root.text.startsWith('Acknowledged: HighErrorRate'));

    await sender.mention({ text: '<@UBOT> status', user: 'U0BOB', channel: 'C0ALERTS', threadTs: root.ts });
    const status = await until('the status answer', () => fake.messages.find((m) => m.threadTs === root.ts && m.ephemeralTo === 'U0BOB' && m.text.startsWith(`${id}:`)));
    expect(JSON.stringify(status.blocks)).toContain('handled by');
    expect(JSON.stringify(status.blocks)).toContain('HighErrorRate');

    await sender.mention({ text: '<@UBOT> resolve fixed it', user: 'U0ALICE', channel: 'C0ALERTS', threadTs: root.ts });
    // No rule names resolve: nobody may (fail closed).
    await until('the resolve refusal', () => fake.messages.find((m) => m.threadTs === root.ts && m.ephemeralTo === 'U0ALICE' && m.text.includes(`You may not resolve ${id}`)));

    await sender.mention({ text: '<@UBOT> incidents', user: 'U0BOB', channel: 'C0ALERTS', threadTs: root.ts });
    const listed = await until('the incidents list', () => fake.messages.find((m) => m.ephemeralTo === 'U0BOB' && m.text.startsWith('Open incidents')));
    expect(JSON.stringify(listed.blocks)).toContain(`${id}  HighErrorRate`);
    expect(JSON.stringify(listed.blocks)).toContain('handled by slack:U0ALICE');

    const types = (await timeline(id)).map((e) => e.type);
    expect(types.filter((t) => ['ack', 'silence', 'unsilence'].includes(t))).toEqual(['ack', 'silence', 'unsilence']);

    // The audit trail (`chatops audit`, issue 15): each refusal and each action done, on this incident.
    const trail: string[][] = [];
    for await (const r of readAudit(h.redis, prefix, { sinceMs: 0 })) if (r.incidentId === id) trail.push([r.who, r.type, r.command]);
    expect(trail).toEqual([
      ['slack:U0EVE', 'denied', 'ack'],
      ['slack:U0BOB', 'denied', 'silence'],
      ['slack:U0ALICE', 'acknowledged', 'ack'],
      ['slack:U0ALICE', 'silenced', 'silence'],
      ['slack:U0ALICE', 'unsilenced', 'unsilence'],
      ['slack:U0ALICE', 'denied', 'resolve'],
    ]);
  }, 180_000);
});
