/**
 * Debian's prometheus-alertmanager for tests: one on 127.0.0.1 (no cluster) with a webhook receiver
 * pointing at a front, and alerts posted to its API v2 the way Prometheus does.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../src/lib/private-redis.js';
import { until } from './until.js';

const ALERTMANAGER = process.env.ALERTMANAGER_PATH ?? '/usr/bin/prometheus-alertmanager';


export interface RunningAm {
  url: string;
  child: ChildProcess;
  dir: string;
  log: () => string;
  stop(): Promise<void>;
}

export async function startAlertmanager(webhook: string, token: string): Promise<RunningAm> {
  if (!existsSync(ALERTMANAGER)) throw new Error(`no Alertmanager at ${ALERTMANAGER}: apt-get install -y prometheus-alertmanager (.ci/run does) or set ALERTMANAGER_PATH`);
  const dir = mkdtempSync(join(tmpdir(), 'chatops-am-'));
  writeFileSync(
    join(dir, 'alertmanager.yml'),
    `route:
  receiver: chatops
  group_by: [alertname]
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: chatops
    webhook_configs:
      - url: ${JSON.stringify(webhook)}
        send_resolved: true
        http_config:
          authorization:
            credentials: ${JSON.stringify(token)}
`,
  );
  const port = await freePort();
  let output = '';
  const child = spawn(ALERTMANAGER, [`--config.file=${join(dir, 'alertmanager.yml')}`, `--storage.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--cluster.listen-address=', '--log.level=debug'], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const url = `http://127.0.0.1:${port}`;
  await until('Alertmanager to be ready', async () => (await fetch(`${url}/-/ready`).catch(() => undefined))?.ok, 30_000);
  return {
    url,
    child,
    dir,
    log: () => output,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Posts alerts to Alertmanager's API v2, as Prometheus does (endsAt in the past ends them). */
export async function postAlerts(am: RunningAm, alerts: { labels: Record<string, string>; annotations?: Record<string, string>; endsAt?: string }[]): Promise<void> {
  const res = await fetch(`${am.url}/api/v2/alerts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(alerts.map((a) => ({ startsAt: new Date(Date.now() - 60_000).toISOString(), ...a }))) });
  if (res.status !== 200) throw new Error(`Alertmanager refused the alerts: ${res.status} ${await res.text()}`);
}

