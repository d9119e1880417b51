/**
 * Issue 15: deploy/ holds a Grafana dashboard and Prometheus alerting rules for the bot itself.
 * The rules load in promtool; every dashboard query parses as PromQL (checked by promtool as a
 * recording rule, Grafana's variables filled in); every metric the two name is exposed by a real
 * front or worker.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { silentLogger } from '../../src/lib/logger.js';
import type { Front } from '../../src/server/front.js';
import { startServedWorker, type ServedWorker } from '../../src/server/worker-http.js';
import { removeDir, startAlertsFront, writeProject } from '../helpers/alerts-front.js';
import { scrape } from '../helpers/prom-text.js';
import { testRedisUrl, uniquePrefix } from '../helpers/redis.js';

const RULES = 'deploy/prometheus/chatops-rules.yml';
const DASHBOARD = 'deploy/grafana/chatops-dashboard.json';

function promtool(...args: string[]): { status: number | null; output: string } {
  const r = spawnSync('promtool', args, { encoding: 'utf8' });
  if (r.error) throw new Error(`promtool could not be run (install Debian's prometheus package): ${r.error.message}`);
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

/** Every `expr` and variable query in the dashboard, wherever it sits (panels, rows, templating). */
function dashboardQueries(node: unknown, out: string[] = []): string[] {
  if (Array.isArray(node)) for (const n of node) dashboardQueries(n, out);
  else if (node !== null && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) {
      if ((k === 'expr' || k === 'definition') && typeof v === 'string') out.push(v);
      else dashboardQueries(v, out);
    }
  }
  return out;
}

function ruleExprs(): string[] {
  const doc = parse(readFileSync(RULES, 'utf8')) as { groups: { rules: { expr: string }[] }[] };
  return doc.groups.flatMap((g) => g.rules.map((r) => r.expr));
}

/** The metric families a query names (a histogram's _bucket, _count and _sum belong to its family). */
function familiesIn(query: string, exposed: Set<string>): string[] {
  return [...query.matchAll(/\bchatops_[a-z0-9_]+/g)].map(([name]) => {
    const base = name.replace(/_(bucket|count|sum)$/, '');
    return base !== name && exposed.has(base) ? base : name;
  });
}

describe('deploy/ monitoring files', () => {
  let dir: string;
  let front: Front;
  let served: ServedWorker;
  let exposed: Set<string>;

  beforeAll(async () => {
    let project;
    ({ dir, project } = await writeProject({ 'workflows/noop.yaml': 'name: noop\nsteps:\n  - id: a\n    run: "true"\n' }));
    const prefix = uniquePrefix('deploy');
    ({ front } = await startAlertsFront({ redisUrl: testRedisUrl(), prefix, project }));
    served = await startServedWorker({ redisUrl: testRedisUrl(), prefix, project, log: silentLogger, secretKey: 'alerts-tests-secret-key', concurrency: 1, port: 0, host: '127.0.0.1' });
    const texts = [await scrape(`http://127.0.0.1:${front.port}`), await scrape(`http://127.0.0.1:${served.http?.port ?? 0}`)];
    exposed = new Set(texts.flatMap((t) => [...t.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1] ?? '')));
  });

  afterAll(async () => {
    await served.close();
    await front.close();
    removeDir(dir);
  });

  it('the alerting rules load in promtool and cover what the bot can fail at', () => {
    const { status, output } = promtool('check', 'rules', RULES);
    expect(output).toContain('SUCCESS');
    expect(status).toBe(0);
    const names = (parse(readFileSync(RULES, 'utf8')) as { groups: { rules: { alert: string }[] }[] }).groups.flatMap((g) => g.rules.map((r) => r.alert));
    expect(names).toEqual(expect.arrayContaining(['ChatOpsNoLiveWorker', 'ChatOpsStepQueueStuck', 'ChatOpsRunsPastTimeout', 'ChatOpsChatRateLimited', 'ChatOpsAlertDeliveriesFailing', 'ChatOpsRedisNotReady']));
  });

  it('every dashboard query is valid PromQL', () => {
    const queries = dashboardQueries(JSON.parse(readFileSync(DASHBOARD, 'utf8')));
    expect(queries.length).toBeGreaterThan(20);
    const tmp = mkdtempSync(join(tmpdir(), 'chatops-dash-'));
    try {
      // Grafana's variables become what they stand for; label_values() is Grafana's, not PromQL.
      const exprs = queries.filter((q) => !q.startsWith('label_values(')).map((q) => q.replaceAll('$__rate_interval', '5m').replaceAll('$workflow', '.*'));
      const file = join(tmp, 'dashboard-as-rules.yml');
      writeFileSync(file, JSON.stringify({ groups: [{ name: 'dashboard', rules: exprs.map((expr, i) => ({ record: `dashboard:query_${i}`, expr })) }] }));
      const { status, output } = promtool('check', 'rules', file);
      expect(output).toContain(`SUCCESS: ${exprs.length} rules found`);
      expect(status).toBe(0);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });

  it('every metric the dashboard and the rules name is exposed by a front or a worker', () => {
    const queries = [...dashboardQueries(JSON.parse(readFileSync(DASHBOARD, 'utf8'))), ...ruleExprs()];
    const named = new Set(queries.flatMap((q) => familiesIn(q, exposed)));
    expect(named.size).toBeGreaterThan(15);
    expect([...named].filter((n) => !exposed.has(n))).toEqual([]);
    // The check itself can fail: a misspelt name is caught.
    expect(familiesIn('rate(chatops_runs_finishd_total[5m])', exposed).every((n) => exposed.has(n))).toBe(false);
  });
});
