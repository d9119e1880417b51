/**
 * A `chatops serve` front (the real startFront) with the alert routes open, on a unique Redis
 * prefix, optionally with the fake Slack API and a worker. Several fronts on one prefix are
 * replicas of one deployment.
 */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AlertsFrontOptions } from '../../src/alerts/front.js';
import { readAlertSecrets } from '../../src/alerts/auth.js';
import { loadProject, type Project } from '../../src/config/load-project.js';
import { silentLogger } from '../../src/lib/logger.js';
import { startFront, type Front, type FrontOptions } from '../../src/server/front.js';

export const ALERT_SECRETS = readAlertSecrets({ ALERT_TOKEN: 'am-token-old,am-token', GRAFANA_WEBHOOK_SECRET: 'grafana-secret', PAGERDUTY_WEBHOOK_SECRET: 'pd-secret-old,pd-secret' });

export async function writeProject(files: Record<string, string>): Promise<{ dir: string; project: Project }> {
  const dir = mkdtempSync(join(tmpdir(), 'chatops-alerts-'));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  const project = await loadProject(dir);
  if (project.problems.some((p) => p.severity === 'error')) throw new Error(`test project has problems: ${JSON.stringify(project.problems)}`);
  return { dir, project };
}

export async function startAlertsFront(opts: { redisUrl: string; prefix: string; project: Project } & Omit<Partial<FrontOptions>, 'alerts'> & { alerts?: Partial<AlertsFrontOptions> }): Promise<{ front: Front; base: string }> {
  const front = await startFront({
    log: silentLogger,
    port: 0,
    host: '127.0.0.1',
    engine: { secretKey: 'alerts-tests-secret-key' },
    reporter: { pollMs: 100, blockMs: 100 },
    ...opts,
    alerts: { secrets: ALERT_SECRETS, ...opts.alerts },
  });
  return { front, base: `http://127.0.0.1:${front.port}` };
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}
