import { describe, expect, it } from '@jest/globals';
import { applyNotification, needsNewIncident, openIncident } from '../../src/alerts/diff.js';
import { buildChangeView, buildIncidentView } from '../../src/alerts/incident-view.js';
import { compileMatchers, matches, parseMatcher } from '../../src/alerts/matchers.js';
import type { NormalizedAlert, Notification } from '../../src/alerts/types.js';
import { formatContent } from '../../src/adapters/shell/ansi-format.js';

const T0 = Date.parse('2026-12-01T10:00:00Z');

function alert(fp: string, status: 'firing' | 'resolved', startsAt = '2026-12-01T09:59:00Z', labels: Record<string, string> = {}): NormalizedAlert {
  return { fingerprint: fp, status, labels: { alertname: 'DiskFull', instance: fp, ...labels }, annotations: {}, startsAt };
}

function note(...alerts: NormalizedAlert[]): Notification {
  return { source: 'alertmanager', groupKey: 'g', status: alerts.some((a) => a.status === 'firing') ? 'firing' : 'resolved', alerts, commonLabels: { alertname: 'DiskFull' }, commonAnnotations: {}, links: [], truncated: 0 };
}

describe('incident diff by fingerprint and startsAt', () => {
  const opened = () => applyNotification(openIncident('i-aaaaaa', note(alert('a', 'firing')), T0, 'slack:C1'), note(alert('a', 'firing'), alert('b', 'firing')), T0).incident;

  it('new alerts join; an identical notification changes nothing', () => {
    const inc = opened();
    expect(inc.status).toBe('firing');
    expect(inc.version).toBe(1);
    const again = applyNotification(inc, note(alert('a', 'firing'), alert('b', 'firing')), T0 + 60_000);
    expect(again.changed).toBe(false);
    expect(again.changes).toEqual({ added: [], resolved: [], refired: [] });
    expect(again.incident.version).toBe(1);
  });

  it('resolved, re-fired (after resolving, or with a new startsAt), and all resolved', () => {
    const inc = opened();
    const r1 = applyNotification(inc, note(alert('a', 'resolved'), alert('b', 'firing')), T0 + 1000);
    expect(r1.changes.resolved.map((a) => a.fingerprint)).toEqual(['a']);
    expect(r1.incident.status).toBe('firing');
    const r2 = applyNotification(r1.incident, note(alert('a', 'firing'), alert('b', 'firing', '2026-12-01T10:05:00Z')), T0 + 2000);
    expect(r2.changes.refired.map((a) => a.fingerprint).sort()).toEqual(['a', 'b']);
    const r3 = applyNotification(r2.incident, note(alert('a', 'resolved'), alert('b', 'resolved', '2026-12-01T10:05:00Z')), T0 + 3000);
    expect(r3.resolvedNow).toBe(true);
    expect(r3.incident).toMatchObject({ status: 'resolved', resolvedAt: T0 + 3000 });
    const view = buildIncidentView(r3.incident, T0 + 4000);
    expect(view).toMatchObject({ state: 'resolved', firing: 0, resolved: 2, durationMs: 3000 });
  });

  it('a group firing again reopens within the window and is a new incident after it', () => {
    const inc = applyNotification(opened(), note(alert('a', 'resolved'), alert('b', 'resolved')), T0 + 1000).incident;
    const fire = note(alert('a', 'firing', '2026-12-01T10:20:00Z'));
    expect(needsNewIncident(inc, fire, T0 + 1000 + 14 * 60_000, 15 * 60_000)).toBe(false);
    expect(needsNewIncident(inc, fire, T0 + 1000 + 16 * 60_000, 15 * 60_000)).toBe(true);
    const reopened = applyNotification(inc, fire, T0 + 5000);
    expect(reopened.reopened).toBe(true);
    expect(reopened.incident).toMatchObject({ status: 'firing', reopened: 1 });
    expect(reopened.incident.resolvedAt).toBeUndefined();
  });

  it('a storm reply lists the first alerts and counts the rest by label', () => {
    const many = Array.from({ length: 500 }, (_, i) => alert(`fp${i}`, 'firing', undefined, { job: 'node', zone: i < 400 ? 'eu-1' : 'us-1' }));
    const r = applyNotification(openIncident('i-bbbbbb', note(...many), T0, 'shell:'), note(...many), T0);
    const view = buildChangeView(r.incident, [{ at: T0, type: 'alerts', delivery: '1-0', ...r.changes }], 20);
    expect(view?.title).toBe('500 alerts joined');
    expect(view?.lines).toHaveLength(21);
    expect(view?.lines[20]).toContain('480 more');
    expect(view?.lines[20]).toContain('job=node ×480');
    expect(view?.lines[20]).toContain('zone=eu-1 ×380');
    // The living message lists a screenful and counts the rest.
    expect(buildIncidentView(r.incident, T0)).toMatchObject({ firing: 500, more: 490 });
  });

  it('the terminal shows an incident with its state in words first', () => {
    const inc = opened();
    const lines = formatContent({ kind: 'incident', view: buildIncidentView(inc, T0) }, { color: false });
    expect(lines[0]).toBe('🚨 Firing: DiskFull [i-aaaaaa]');
    expect(lines.join('\n')).toContain('2 firing, 0 resolved');
  });
});

describe('label matchers (Alertmanager syntax)', () => {
  it('matches =, !=, =~ (anchored) and !~, with a missing label as ""', () => {
    const m = compileMatchers(['severity=~"critical|page"', 'service!="test"', 'env!~"dev.*"'], { alertname: 'HighErrorRate' });
    expect(matches(m, { alertname: 'HighErrorRate', severity: 'critical', service: 'api', env: 'prod' })).toBe(true);
    expect(matches(m, { alertname: 'HighErrorRate', severity: 'critical-ish', service: 'api' })).toBe(false);
    expect(matches(m, { alertname: 'HighErrorRate', severity: 'page', service: 'test' })).toBe(false);
    expect(matches(m, { alertname: 'HighErrorRate', severity: 'page', env: 'dev-1' })).toBe(false);
    expect(matches(compileMatchers(['team=""']), {})).toBe(true);
  });

  it('says what is wrong with a bad matcher', () => {
    expect(() => parseMatcher('severity')).toThrow(/not a matcher/);
    expect(() => parseMatcher('severity=~"(critical"')).toThrow(/bad regular expression/);
    expect(() => parseMatcher('severity="critical')).toThrow(/closing quote/);
    expect(parseMatcher('severity=critical')).toMatchObject({ name: 'severity', op: '=', value: 'critical' });
  });
});
