/**
 * The incident page and list, served by a real front from real deliveries: an Alertmanager group
 * fires, partly resolves and resolves; the incident's Slack message carries its signed "View" link;
 * the page shows the alerts, their state and the timeline as they change; a tampered or borrowed
 * link is refused; the list needs the token and filters by state and by the workflows started.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { FakeSlackApi, type FakeMessage } from '../fakes/slack-api.js';
import { fakeSlackConfig } from '../fakes/slack-requests.js';
import { amSample, sendAlert } from '../helpers/alert-senders.js';
import { removeDir, startAlertsFront, writeProject } from '../helpers/alerts-front.js';
import { testRedisUrl, uniquePrefix } from '../helpers/redis.js';
import { WEB_KEY, WEB_TOKEN } from '../helpers/web-front.js';
import type { Front } from '../../src/server/front.js';
import { incidentLink } from '../../src/web/incident-routes.js';
import { until } from '../helpers/until.js';

const FILES = {
  'workflows/noop.yaml': 'name: noop\nsteps:\n  - id: a\n    run: "true"\n',
  // Started by the DiskFull group: the list filters incidents by the workflows they started.
  'workflows/triage.yaml': "name: triage\non:\n  alert: { matchers: ['alertname=\"DiskFull\"'] }\nsteps:\n  - id: a\n    run: \"true\"\n",
};
const PUBLIC = 'https://ops.example.com';


describe('incident pages', () => {
  let dir: string;
  let fake: FakeSlackApi;
  let front: Front;
  let base: string;

  beforeAll(async () => {
    const written = await writeProject(FILES);
    dir = written.dir;
    fake = await new FakeSlackApi().start();
    ({ front, base } = await startAlertsFront({
      redisUrl: testRedisUrl(),
      prefix: uniquePrefix('webinc'),
      project: written.project,
      slack: fakeSlackConfig(fake),
      alerts: { defaultChannel: 'slack:C0ALERTS' },
      web: { keys: [WEB_KEY], token: WEB_TOKEN, publicUrl: PUBLIC },
    }));
  });
  afterAll(async () => {
    await front.close();
    await fake.stop();
    removeDir(dir);
  });

  const root = () => fake.messages.find((m) => m.channel === 'C0ALERTS' && m.threadTs === undefined && m.ephemeralTo === undefined);
  const page = async (path: string, headers: Record<string, string> = {}) => {
    const res = await fetch(`${base}${path}`, { headers, redirect: 'manual' });
    return { status: res.status, csp: res.headers.get('content-security-policy'), body: await res.text() };
  };

  let incidentId = '';
  let link = '';

  it('the incident message links its signed page, which shows the alerts, their state and the timeline', async () => {
    const hostile = amSample('alertmanager-group-firing-2alerts');
    (hostile.commonAnnotations as Record<string, string>).summary = '<script>alert(1)</script> disk almost full';
    expect((await sendAlert(base, 'alertmanager', hostile, { token: 'am-token' })).status).toBe(202);
    const msg: FakeMessage = await until('the incident message', () => root());
    const blocks = JSON.stringify(msg.blocks);
    const m = /<https:\/\/ops\.example\.com(\/incidents\/(i-[0-9a-z]{6})\?exp=\d+&amp;sig=[A-Za-z0-9_-]+)\|View>/.exec(blocks);
    expect(m).not.toBeNull();
    incidentId = m?.[2] ?? '';
    link = (m?.[1] ?? '').replace('&amp;', '&');
    // Signed for this incident (its expiry is counted from when the message was written, so compare by verifying).
    expect(front.web.signer.verify('incident', incidentId, Object.fromEntries(new URLSearchParams(link.split('?')[1] ?? ''))).ok).toBe(true);

    const p = await page(link);
    expect(p.status).toBe(200);
    expect(p.csp).toContain("script-src 'self'");
    expect(p.body).toContain('DiskFull');
    expect(p.body).toContain('2 firing, 0 resolved');
    expect(p.body.match(/data-alert="/g)).toHaveLength(2);
    expect(p.body).toContain('instance=db-1:9100');
    expect(p.body).toMatch(/Alerts: 2 joined \(DiskFull, DiskFull\)/);
    // Alert text is data: escaped, never markup.
    expect(p.body).not.toContain('<script>alert(1)</script>');
    expect(p.body).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    // Open: the page refreshes itself.
    expect(p.body).toContain('http-equiv="refresh"');
    // The postmortem draft downloads from the page, behind the same signature.
    const pm = /href="(\/incidents\/i-[0-9a-z]{6}\/postmortem\?[^"]+)"/.exec(p.body)?.[1]?.replace(/&amp;/g, '&') ?? '';
    const doc = await fetch(`${base}${pm}`);
    expect(doc.status).toBe(200);
    expect(doc.headers.get('content-disposition')).toContain(`postmortem-${incidentId}.md`);
    const md = await doc.text();
    expect(md).toContain('DiskFull');
    expect(md).toMatch(/Root cause/i);
    expect((await fetch(`${base}${pm.replace(/sig=[^&]+/, 'sig=AAAA')}`)).status).toBe(403);
  }, 40_000);

  it('follows the group as alerts resolve, then shows it resolved with its duration', async () => {
    expect((await sendAlert(base, 'alertmanager', amSample('alertmanager-group-partial-resolved'), { token: 'am-token' })).status).toBe(202);
    await until('one resolved on the page', async () => (await page(link)).body.includes('1 firing, 1 resolved'));
    expect((await sendAlert(base, 'alertmanager', amSample('alertmanager-group-resolved-last'), { token: 'am-token' })).status).toBe(202);
    const p = await until('resolved on the page', async () => {
      const got = await page(link);
      return got.body.includes('0 firing, 2 resolved') ? got : undefined;
    });
    expect(p.body).toMatch(/<span class="state st-succeeded">Resolved<\/span> DiskFull/);
    expect(p.body).toContain('Every alert resolved, after');
    expect(p.body).not.toContain('http-equiv="refresh"');
  }, 60_000);

  it('refuses a tampered link, a link borrowed for another incident, and answers 404 for an unknown one', async () => {
    const tampered = link.replace(/sig=([A-Za-z0-9_-])/, (_m, c: string) => `sig=${c === 'A' ? 'B' : 'A'}`);
    expect((await page(tampered)).status).toBe(403);
    const query = link.slice(link.indexOf('?'));
    expect((await page(`/incidents/i-zzzzzz${query}`)).status).toBe(403);
    expect((await page(`/incidents/${incidentId}`)).status).toBe(403);
    expect((await page(incidentLink(front.web.signer, 'i-zzzzzz') ?? '')).status).toBe(404);
  });

  it('lists incidents only with the token, filtered by state and by a workflow they started', async () => {
    const anonymous = await page('/incidents');
    expect(anonymous.status).toBe(401);
    expect(anonymous.body).not.toContain(incidentId);
    const all = await page('/incidents', { authorization: `Bearer ${WEB_TOKEN}` });
    expect(all.status).toBe(200);
    expect(all.body).toContain(`data-incident="${incidentId}"`);
    // The list links each incident with a signed link of its own (signed when the page was drawn,
    // so its expiry may differ by a second from one signed here: check that it verifies instead).
    const listed = new RegExp(`href="/incidents/${incidentId}\\?exp=(\\d+)&amp;sig=([A-Za-z0-9_-]+)"`).exec(all.body);
    expect(listed).not.toBeNull();
    expect(front.web.signer.verify('incident', incidentId, { exp: listed?.[1], sig: listed?.[2] })).toMatchObject({ ok: true });
    const firing = await page('/incidents?state=firing', { authorization: `Bearer ${WEB_TOKEN}` });
    expect(firing.body).not.toContain(`data-incident="${incidentId}"`);
    const resolved = await page('/incidents?state=resolved', { authorization: `Bearer ${WEB_TOKEN}` });
    expect(resolved.body).toContain(`data-incident="${incidentId}"`);
    expect((await page('/incidents?workflow=triage', { authorization: `Bearer ${WEB_TOKEN}` })).body).toContain(`data-incident="${incidentId}"`);
    expect((await page('/incidents?workflow=noop', { authorization: `Bearer ${WEB_TOKEN}` })).body).not.toContain(`data-incident="${incidentId}"`);
  });
});
