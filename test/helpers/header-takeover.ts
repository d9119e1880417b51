/**
 * The window the chaos test found, played deterministically in one process: replica A posts a
 * run's header and dies the moment it has landed, before it saves the message's ref in Redis
 * (its chat writes fail and its Redis connection is cut, as after SIGKILL at that point); replica B
 * starts then and takes the run over once A's lease expires. A test reads what the (fake) chat
 * shows afterwards: one header, final, with the output under it.
 */
import { Writable } from 'node:stream';
import { Redis } from 'ioredis';
import type { ChatContent, ChatPlatform, MessageRef } from '../../src/chat/platform.js';
import { ReporterPool } from '../../src/chat/reporter.js';
import { createEngine, startWorker, type Engine, type WorkerHandle } from '../../src/engine/index.js';
import { createLogger, silentLogger, type Logger } from '../../src/lib/logger.js';
import { workflowSchema } from '../../src/workflow/schema.js';
import { testRedisUrl, uniquePrefix } from './redis.js';
import { until } from './until.js';

/** The workflow every scenario runs: output over two seconds, then a second step. */
export const TALKY = 'talky';
export const TALKY_LAST_LINE = 'line 20';

/**
 * `platform` as written by a replica that dies once its first message of `kind` landed (a run's
 * header; an incident's message): that post returns (and `die` runs), every write after it fails.
 * It has no findRoot: it never takes over.
 */
export function diesAfterHeader(platform: ChatPlatform, die: () => void, kind: ChatContent['kind'] = 'run'): ChatPlatform {
  let dead = false;
  const alive = () => {
    if (dead) throw new Error('this replica was killed');
  };
  const landed = <T>(content: ChatContent, ref: T): T => {
    if (content.kind === kind) {
      dead = true;
      die();
    }
    return ref;
  };
  return {
    name: platform.name,
    budget: platform.budget,
    outputLimits: platform.outputLimits,
    replyLimits: platform.replyLimits,
    commandPrefix: platform.commandPrefix,
    async postRoot(channel, content) {
      alive();
      return landed(content, await platform.postRoot(channel, content));
    },
    async postReply(root, content) {
      alive();
      return landed(content, await platform.postReply(root, content));
    },
    async update(ref, content) {
      alive();
      return platform.update(ref, content);
    },
    async uploadFile(root, file) {
      alive();
      return platform.uploadFile(root, file);
    },
    async reply(to, content) {
      alive();
      return platform.reply(to, content);
    },
  };
}

/** A logger whose JSON lines the test reads. */
export function recordingLogger(): { log: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString('utf8').split('\n')) if (l.trim()) lines.push(JSON.parse(l) as Record<string, unknown>);
      done();
    },
  });
  return { log: createLogger('info', sink), lines };
}

export class HeaderTakeover {
  readonly prefix = uniquePrefix('hdr');
  private engine: Engine | undefined;
  private worker: WorkerHandle | undefined;
  private readonly conns: Redis[] = [];
  private readonly pools: ReporterPool[] = [];

  async start(): Promise<this> {
    const workflow = workflowSchema.parse({
      name: TALKY,
      steps: [
        { id: 'talk', run: 'for i in $(seq 1 20); do echo "line $i"; sleep 0.1; done' },
        { id: 'after', needs: ['talk'], run: 'echo done' },
      ],
    });
    const project = { workflows: new Map([[workflow.name, workflow]]) };
    this.engine = createEngine({ redisUrl: testRedisUrl(), prefix: this.prefix, project, log: silentLogger });
    this.worker = await startWorker({ redisUrl: testRedisUrl(), prefix: this.prefix, project, log: silentLogger, concurrency: 4 });
    return this;
  }

  async close(): Promise<void> {
    for (const p of this.pools.splice(0)) await p.close();
    for (const c of this.conns) if (c.status === 'ready') await c.quit();
    await this.worker?.close();
    await this.engine?.close();
  }

  /**
   * Starts a run reported in `channel` (its header a reply in the thread of `thread` when given)
   * by replica A over `platform()`, which dies once its header post landed (`landed` says when
   * the chat shows it); then replica B over another `platform()` takes it over. Resolves when B
   * has written the final state, with every pool closed.
   */
  async killedAfterHeader(opts: { platform: () => ChatPlatform; channel: string; thread?: MessageRef; log?: Logger; landed: (runId: string) => boolean }): Promise<{ runId: string }> {
    const engine = this.engineOrThrow();
    const aRedis = this.connect();
    const a = this.pool(diesAfterHeader(opts.platform(), () => aRedis.disconnect()), aRedis, silentLogger);
    const { run } = await engine.startRun({ workflow: TALKY, inputs: {}, trigger: { kind: 'chat', source: 'test', requester: 'test:U1', channel: opts.channel } });
    let threadKey: string | undefined;
    if (opts.thread) {
      threadKey = `${this.prefix}:test:thread:${run.id}`;
      await this.connect().set(threadKey, JSON.stringify(opts.thread));
    }
    await a.track(run, { platform: opts.platform().name, channel: opts.channel, ...(threadKey ? { threadKey } : {}) });
    await until('the header of replica A', () => opts.landed(run.id));
    await until('replica A to die once its header landed', () => aRedis.status !== 'ready');

    const b = this.pool(opts.platform(), this.connect(), opts.log ?? silentLogger);
    await b.whenFinished(run.id);
    // Pools left running on this prefix would take the next scenario's runs into this one's chat.
    for (const p of this.pools.splice(0)) await p.close();
    return { runId: run.id };
  }

  private pool(platform: ChatPlatform, redis: Redis, log: Logger): ReporterPool {
    const p = new ReporterPool({ redis, prefix: this.prefix, runs: this.engineOrThrow(), platforms: [platform], log, leaseMs: 1500, pollMs: 100, blockMs: 100, minIntervalMs: 100 });
    this.pools.push(p);
    p.start();
    return p;
  }

  private engineOrThrow(): Engine {
    if (!this.engine) throw new Error('HeaderTakeover not started');
    return this.engine;
  }

  private connect(): Redis {
    const redis = new Redis(testRedisUrl(), { maxRetriesPerRequest: 1 });
    redis.on('error', () => undefined);
    this.conns.push(redis);
    return redis;
  }
}
