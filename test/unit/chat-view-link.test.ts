import { describe, expect, it } from '@jest/globals';
import { openIncident } from '../../src/alerts/diff.js';
import { buildIncidentView } from '../../src/alerts/incident-view.js';
import { formatIncident as discordIncident } from '../../src/adapters/discord/format/format-incident.js';
import { formatRun as discordRun } from '../../src/adapters/discord/format/format-run.js';
import { formatIncident as shellIncident } from '../../src/adapters/shell/ansi-incident.js';
import { formatIncident as slackIncident } from '../../src/adapters/slack/block-kit/format-incident.js';
import { formatRun as shellRun } from '../../src/adapters/shell/ansi-format.js';
import { formatRun as slackRun } from '../../src/adapters/slack/block-kit/format-run.js';
import { buildRunView } from '../../src/chat/render-model.js';
import { runUrlMaker } from '../../src/web/front.js';
import { LinkSigner } from '../../src/web/link-signing.js';
import { runRecord, step } from '../helpers/run-records.js';

const KEY = 'k'.repeat(32);

describe('the "View" link in a run header', () => {
  it('is a signed page URL under CHATOPS_PUBLIC_URL, and nothing without one or without a key', () => {
    const signer = new LinkSigner([KEY]);
    const url = runUrlMaker(signer, 'https://ops.example.com/')('r-abc123') ?? '';
    expect(url).toMatch(/^https:\/\/ops\.example\.com\/runs\/r-abc123\?exp=\d+&sig=[A-Za-z0-9_-]{43}$/);
    const [, query] = url.split('?');
    expect(signer.verify('run', 'r-abc123', Object.fromEntries(new URLSearchParams(query))).ok).toBe(true);
    expect(runUrlMaker(signer, undefined)('r-abc123')).toBeUndefined();
    expect(runUrlMaker(new LinkSigner([]), 'https://ops.example.com')('r-abc123')).toBeUndefined();
  });

  it('shows on Slack, Discord and in the terminal when the view has one', () => {
    const view = buildRunView(runRecord({ steps: [step('a', { state: 'running', startedAt: Date.now() })] }), Date.now());
    expect(JSON.stringify(slackRun(view))).not.toContain('|View>');
    expect(shellRun(view, { color: false }).join('\n')).not.toContain('View:');
    view.link = 'https://ops.example.com/runs/r-1?exp=1&sig=x';
    // Slack asks for & < > in a link's URL to be escaped (it decodes them back).
    expect(JSON.stringify(slackRun(view))).toContain('<https://ops.example.com/runs/r-1?exp=1&amp;sig=x|View>');
    expect(shellRun(view, { color: false }).join('\n')).toContain('  View: https://ops.example.com/runs/r-1?exp=1&sig=x');
    expect(JSON.stringify(discordRun(view))).toContain('[View](https://ops.example.com/runs/r-1?exp=1&sig=x)');
  });
});

describe('the "View" link in an incident message', () => {
  const now = Date.parse('2026-12-01T10:00:00Z');
  const incident = openIncident('i-abc123', { source: 'alertmanager', groupKey: 'g', status: 'firing', alerts: [{ fingerprint: 'f1', status: 'firing', labels: { alertname: 'DiskFull' }, annotations: {}, startsAt: '2026-12-01T09:59:00Z' }], commonLabels: { alertname: 'DiskFull' }, commonAnnotations: {}, links: [], truncated: 0 }, now, 'slack:C1');
  const url = 'https://ops.example.com/incidents/i-abc123?exp=1&sig=x';

  it('shows on Slack, Discord and in the terminal when the view has one, and nowhere without', () => {
    const bare = buildIncidentView(incident, now);
    expect(JSON.stringify(slackIncident(bare))).not.toContain('|View>');
    expect(JSON.stringify(discordIncident(bare))).not.toContain('[View]');
    expect(shellIncident(bare, { color: false }).join('\n')).not.toContain('View:');
    const view = buildIncidentView(incident, now, url);
    expect(JSON.stringify(slackIncident(view))).toContain('<https://ops.example.com/incidents/i-abc123?exp=1&amp;sig=x|View>');
    expect(JSON.stringify(discordIncident(view))).toContain(`[View](${url})`);
    expect(shellIncident(view, { color: false }).join('\n')).toContain(`  View: ${url}`);
  });
});
