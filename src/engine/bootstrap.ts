/**
 * Opens the engine the way every command-line process does: environment (.env included), Redis
 * (REDIS_URL, or dev mode: a private redis-server when nothing answers at the default address),
 * the project from $CHATOPS_DIR. Used by `chatops worker/run/status/cancel/approve/deny/transcript`
 * and the other commands that need Redis; those that run once pass `oneShot` (redis-reach.ts).
 */
import { readEnv, type Env } from '../config/env.js';
import { formatProblem, loadProject, type Project } from '../config/load-project.js';
import { rolesOf } from '../config/policy.js';
import { createLogger, type Logger } from '../lib/logger.js';
import { resolveRedis, type RedisTarget } from '../lib/redis-connect.js';
import { reachRedis } from '../lib/redis-reach.js';
import { Engine, type EngineOptions } from './engine.js';

export interface Opened {
  env: Env;
  project: Project;
  options: EngineOptions;
  engine: Engine;
  redis: RedisTarget;
  log: Logger;
  /** Closes the engine and stops a dev-mode Redis. */
  close(): Promise<void>;
}

export interface OpenOptions {
  /** Where notices go (dev mode, file problems); stderr by default. */
  say?: (line: string) => void;
  /** Log level when LOG_LEVEL is not set; quiet commands use `warn`. */
  defaultLogLevel?: string;
  /** Do not create the engine (workers create their own). */
  noEngine?: boolean;
  /**
   * A command that runs once and exits: give up with RedisUnreachableError when Redis does not
   * answer within CHATOPS_REDIS_TIMEOUT, instead of waiting for it forever as serve and worker do.
   */
  oneShot?: boolean;
}

export async function openProject(opts: OpenOptions = {}): Promise<Omit<Opened, 'engine'> & { engine?: Engine }> {
  const say = opts.say ?? ((l: string) => process.stderr.write(`${l}\n`));
  const env = readEnv();
  const level = process.env.LOG_LEVEL ? env.LOG_LEVEL : (opts.defaultLogLevel ?? env.LOG_LEVEL);
  const log = createLogger(level);
  const redis = await resolveRedis(env, say);
  if (opts.oneShot) await reachRedis(redis.url, env.CHATOPS_REDIS_TIMEOUT);
  const project = await loadProject(env.chatopsDir);
  const broken = project.problems.filter((p) => p.severity === 'error');
  if (broken.length > 0) say(`warning: ${broken.length} problem(s) in ${env.chatopsDir}; files with errors are left out (run \`chatops validate\`)`);
  const outputBudget = { stepBytes: env.CHATOPS_STEP_OUTPUT_MAX, runBytes: env.CHATOPS_RUN_OUTPUT_MAX };
  const options: EngineOptions = { redisUrl: redis.url, prefix: env.CHATOPS_PREFIX, project, log, retentionMs: env.CHATOPS_RETENTION, stepLeaseMs: env.CHATOPS_STEP_LEASE, outputBudget };
  // A command-line process serves no /metrics: its engine events (a run started, cancelled, an
  // approval decided) are relayed to a front or worker that does (observer-relay.ts).
  const engine = opts.noEngine ? undefined : new Engine({ ...options, relayEvents: true });
  return {
    env,
    project,
    options,
    engine,
    redis,
    log,
    async close() {
      await engine?.close();
      await redis.private?.stop();
    },
  };
}

export async function openEngine(opts: OpenOptions = {}): Promise<Opened> {
  const opened = await openProject({ ...opts, noEngine: false });
  if (!opened.engine) throw new Error('engine not created');
  return { ...opened, engine: opened.engine };
}

/** The identity of the person at this terminal, as policy names it: `shell:<user>`. */
export function terminalIdentity(env: Env, as?: string): string {
  const user = as ?? env.CHATOPS_USER ?? env.USER ?? 'unknown';
  return user.includes(':') ? user : `shell:${user}`;
}

export function rolesFor(project: Project, identity: string): string[] {
  return rolesOf(project.policy, identity);
}

/** The problems that make the project's policy unusable (it then locks everything), as printed lines. */
export function policyProblemLines(project: Project): string[] {
  return project.problems.filter((p) => p.severity === 'error' && /(^|\/)policy\.[a-z]+$/i.test(p.file)).map(formatProblem);
}
