/**
 * `chatops shell` in one process: Redis (a private redis-server in dev mode when none answers),
 * the project, an engine front, a worker, a reporter pool drawing on the terminal, the router, and
 * the interactive session. Closing (Ctrl-D) stops each part on its own, in reverse order.
 */
import { randomBytes } from 'node:crypto';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { DeliveryStore } from '../../alerts/delivery-store.js';
import { firedNotification, parseFireArgs } from '../../alerts/fire.js';
import { startIncidents } from '../../alerts/front.js';
import { createIncidentDesk } from '../../alerts/incident-desk.js';
import { createAuditLog } from '../../chat/audit.js';
import { ReporterPool } from '../../chat/reporter.js';
import { createRouter } from '../../chat/router.js';
import { formatProblem, loadProject } from '../../config/load-project.js';
import { createEngine, startWorker, type EngineOptions } from '../../engine/index.js';
import { createWriteStream } from 'node:fs';
import { createLogger, type Logger } from '../../lib/logger.js';
import { closeRedis, connectRedis, resolveRedis } from '../../lib/redis-connect.js';
import { createScreen } from './screen.js';
import { SHELL_CHANNEL, ShellSession } from './session.js';
import { ShellPlatform } from './shell-platform.js';
import { workflowPools } from '../../workflow/schema.js';

export interface ShellOptions {
  /** The shell user (policy identity `shell:NAME`). */
  user?: string;
  input: NodeJS.ReadableStream & { isTTY?: boolean };
  output: NodeJS.WritableStream & { isTTY?: boolean; columns?: number; rows?: number };
  /** Force TTY behaviour on or off (default: both streams are TTYs). */
  tty?: boolean;
  redisUrl?: string;
  prefix: string;
  /** How long finished runs are kept (CHATOPS_RETENTION); the engine's default when unset. */
  retentionMs?: number;
  /** Step output kept in Redis (CHATOPS_STEP_OUTPUT_MAX, CHATOPS_RUN_OUTPUT_MAX); the engine's defaults when unset. */
  outputBudget?: EngineOptions['outputBudget'];
  chatopsDir: string;
  log?: Logger;
  concurrency?: number;
  /** ALERT_CHANNEL: incidents no alerts.yaml route takes go there (`shell:` shows them here). */
  alertChannel?: string;
  /** ALERTMANAGER_URL, for silences from the terminal. */
  alertmanagerUrl?: string;
  /** A run's web page for the header's "View" link (CHATOPS_PUBLIC_URL with CHATOPS_WEB_KEY). */
  linkFor?: (runId: string) => string | undefined;
  /** The same for an incident's page. */
  incidentLinkFor?: (incidentId: string) => string | undefined;
}

/** `--as`, else $CHATOPS_USER, else $USER, else the OS login. */
export function shellUser(as: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  return as ?? env.CHATOPS_USER ?? env.USER ?? userInfo().username;
}

export async function runShell(opts: ShellOptions): Promise<void> {
  const tty = opts.tty ?? Boolean(opts.input.isTTY && opts.output.isTTY);
  const screen = createScreen(opts.output, tty);
  const say = (line: string) => screen.print([line]);
  // Log lines would tear the live region and the prompt apart: on a TTY they go to a file.
  const logFile = join(tmpdir(), `chatops-shell-${process.pid}.log`);
  const log = opts.log ?? (tty ? createLogger(process.env.LOG_LEVEL ?? 'info', createWriteStream(logFile, { flags: 'a', mode: 0o600 })) : createLogger(process.env.LOG_LEVEL ?? 'warn'));
  const user = shellUser(opts.user);
  const cleanups: { name: string; run: () => Promise<unknown> }[] = [];
  try {
    const target = await resolveRedis(opts.redisUrl, say);
    if (target.private) {
      const priv = target.private;
      cleanups.push({ name: 'private redis-server', run: () => priv.stop() });
    }
    // On its own private Redis the shell is the only front: unrouted incidents show here. On a shared
    // Redis, ALERT_CHANNEL decides (a serve's incidents must not be taken into this terminal).
    const alertChannel = opts.alertChannel ?? (target.private ? 'shell:' : undefined);
    const project = await loadProject(opts.chatopsDir);
    for (const p of project.problems) say(formatProblem(p));
    // The shell serves no /metrics: its engine events go to a front or worker that does (observer-relay.ts).
    const engineOpts = { redisUrl: target.url, prefix: opts.prefix, project, log, retentionMs: opts.retentionMs, outputBudget: opts.outputBudget, relayEvents: true };
    const engine = createEngine(engineOpts);
    cleanups.push({ name: 'engine', run: () => engine.close() });
    // The terminal's embedded worker runs every step, whatever pool it names.
    const worker = await startWorker({ ...engineOpts, concurrency: opts.concurrency ?? 4, pools: workflowPools(project.workflows.values()) });
    cleanups.push({
      name: 'worker',
      run: () => {
        const busy = worker.activeSteps();
        if (busy > 0) say(`waiting for ${busy} running step(s) to finish: this shell's worker runs them (Ctrl-C again quits at once)`);
        return worker.close();
      },
    });
    const redis = connectRedis(target.url, log);
    cleanups.push({ name: 'redis', run: () => closeRedis(redis) });
    const platform = new ShellPlatform({
      screen,
      // Colours whenever a person looks at the output (https://no-color.org turns them off).
      color: Boolean(opts.output.isTTY) && !process.env.NO_COLOR,
      logDir: join(tmpdir(), 'chatops-logs'),
      instance: randomBytes(4).toString('hex'),
      rows: () => opts.output.rows,
    });
    const pool = new ReporterPool({ redis, prefix: opts.prefix, runs: engine, platforms: [platform], log, minIntervalMs: tty ? 250 : 100, tickMs: 0, pollMs: 1000, linkFor: opts.linkFor });
    pool.start();
    cleanups.push({ name: 'reporter', run: () => pool.close() });
    // Incidents routed to `shell:` (deliveries taken by a `chatops serve` on the same Redis) show here.
    const incidents = startIncidents({
      redis,
      prefix: opts.prefix,
      log,
      platforms: [platform],
      config: project.alerts,
      defaultChannel: alertChannel,
      buckets: (name) => pool.bucketsOf(name),
      retentionMs: opts.retentionMs,
      linkFor: opts.incidentLinkFor,
      runs: engine,
      runbooks: { workflows: project.workflows.values(), track: (run, target) => pool.track(run, target) },
    });
    cleanups.push({ name: 'incidents', run: () => incidents.close() });
    const router = createRouter({
      runs: engine,
      commands: project.commands.values(),
      policy: project.policy,
      audit: createAuditLog(redis, opts.prefix, project.policy, { retentionMs: opts.retentionMs }),
      log,
      onRunStarting: (run) => pool.track(run, { platform: platform.name, channel: SHELL_CHANNEL }),
      incidents: createIncidentDesk({ redis, prefix: opts.prefix, runs: engine, runLink: opts.linkFor, incidentLink: opts.incidentLinkFor, alertmanagerUrl: opts.alertmanagerUrl, onChange: () => incidents.reporter.poke() }),
    });
    say(`chatops shell as shell:${user} · ${project.workflows.size} workflows, ${project.commands.size} commands from ${project.dir} · type help (Ctrl-D quits)`);
    if (tty && !opts.log) say(`logs: ${logFile}`);
    if (router.hasPolicy && router.rolesOf(`shell:${user}`, []).length === 0) {
      const accounts = [...Object.values(project.policy?.roles ?? {}).flatMap((r) => r.members), ...Object.values(project.policy?.people ?? {}).flat()];
      const members = accounts.filter((m) => m.startsWith('shell:') && router.rolesOf(m, []).length > 0);
      const hint = members.length > 0 ? `; try chatops shell --as ${members[0]?.slice('shell:'.length) ?? ''}` : '';
      say(`note: shell:${user} holds no role in policy.yaml, so only help is open${hint}`);
    }
    // `alert fire …`: a hand-made alert recorded like a delivery to the generic route (alerts/fire.ts).
    const deliveries = new DeliveryStore(target.url, opts.prefix, log);
    cleanups.push({ name: 'deliveries', run: async () => deliveries.close() });
    const fireAlert = async (words: string[]): Promise<string[]> => {
      const parsed = parseFireArgs(words);
      if ('error' in parsed) return [`✗ E_USAGE: ${parsed.error}`];
      // Its connection fails fast while not connected (the webhook answers 503 then): wait for it here.
      await deliveries.ready();
      const result = await deliveries.record(firedNotification(parsed));
      const where = alertChannel === undefined ? ' (this shell shares its Redis and ALERT_CHANNEL is unset, so the incident is posted nowhere: start it with ALERT_CHANNEL=shell: to see it here)' : '';
      return [`✓ ${parsed.name} ${parsed.resolve ? 'resolved' : 'fired'}: ${result.recorded ? 'recorded' : 'the same as the last delivery of its group, nothing changes'}${where}`];
    };
    const session = new ShellSession({ user, input: opts.input, output: opts.output, screen, platform, router, runs: engine, pool, log, fireAlert });
    await session.run();
  } finally {
    for (const c of cleanups.reverse()) {
      try {
        await c.run();
      } catch (err) {
        log.warn({ err, part: c.name }, 'closing failed');
      }
    }
  }
}
