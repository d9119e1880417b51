/** Loads the engine's Lua scripts into an ioredis connection (EVALSHA, reloaded on NOSCRIPT by ioredis). */
import type { Redis } from 'ioredis';
import { SCRIPTS, scriptSource, type ScriptName } from './lua/scripts.js';

type Reply = (string | number | null)[];
type Callable = (...args: (string | number)[]) => Promise<Reply>;

export class Scripts {
  constructor(private readonly redis: Redis) {
    for (const name of Object.keys(SCRIPTS) as ScriptName[]) {
      const command = `chatops_${name}`;
      if (!(command in redis)) redis.defineCommand(command, { numberOfKeys: SCRIPTS[name].keys, lua: scriptSource(name) });
    }
  }

  /** Runs one script; replies are flattened to strings. */
  async call(name: ScriptName, keys: string[], args: (string | number)[]): Promise<string[]> {
    if (keys.length !== SCRIPTS[name].keys) throw new Error(`script ${name} takes ${SCRIPTS[name].keys} keys, got ${keys.length}`);
    // Commands defined with defineCommand are added to the instance at run time; ioredis has no typing for them.
    const fn = (this.redis as unknown as Record<string, Callable>)[`chatops_${name}`];
    if (fn === undefined) throw new Error(`script ${name} is not loaded`);
    const reply = await fn.call(this.redis, ...keys, ...args);
    return reply.map((v) => (v === null ? '' : String(v)));
  }
}

/** A queued step to (re)enqueue, as advance() in Lua reports it. */
export interface ReadyStep {
  stepId: string;
  attempt: number;
  retryAt: number;
}

/** Splits the advance tail of a reply: done state ('' while the run goes on) and the queued steps. */
export function parseAdvance(reply: string[], from: number): { done: string; ready: ReadyStep[] } {
  const done = reply[from] ?? '';
  const ready: ReadyStep[] = [];
  for (let i = from + 1; i + 2 < reply.length; i += 3) {
    ready.push({ stepId: reply[i] ?? '', attempt: Number(reply[i + 1]), retryAt: Number(reply[i + 2]) });
  }
  return { done, ready };
}
