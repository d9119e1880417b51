/**
 * A set of `chatops serve` and `chatops worker` child processes on one Redis prefix, for chaos
 * tests: each member can be SIGKILLed and started again (a new process, the same name, port and
 * pools), and every process ever started is killed by stopAll() whatever state it is in.
 */
import { spawnCli, type CliChild } from './cli-child.js';

export interface Member {
  name: string;
  kind: 'front' | 'worker';
  /** Fronts: the HTTP port, the same for every incarnation. */
  port?: number;
  /** Workers: the pools served (`--pool`). */
  pools?: string[];
  child?: CliChild;
  /** True from the moment it answers (front: /readyz 200; worker: its "started" line) until it is killed. */
  ready: boolean;
  /** Incarnations started so far. */
  starts: number;
}

const READY_TIMEOUT_MS = 180_000;

export class Cluster {
  readonly members: Member[] = [];
  private readonly spawned: { name: string; child: CliChild }[] = [];
  /** Environment of one member on top of the shared one (a front's PORT). */
  private readonly extra = new Map<Member, Record<string, string>>();
  /** Errors of restarts that did not come up (the test asserts there are none). */
  readonly startErrors: string[] = [];

  constructor(private readonly env: Record<string, string>) {}

  addFront(name: string, port: number, env: Record<string, string> = {}): Member {
    const m: Member = { name, kind: 'front', port, ready: false, starts: 0 };
    this.extra.set(m, { PORT: String(port), ...env });
    this.members.push(m);
    return m;
  }

  addWorker(name: string, pools: string[]): Member {
    const m: Member = { name, kind: 'worker', pools, ready: false, starts: 0 };
    this.members.push(m);
    return m;
  }

  /** Starts a new process for the member and resolves once it is ready (throws if it exits or never answers). */
  async start(m: Member): Promise<void> {
    const args = m.kind === 'front' ? ['serve'] : ['worker', '--concurrency', '6', ...(m.pools ?? []).flatMap((p) => ['--pool', p])];
    const child = spawnCli(args, { ...this.env, ...this.extra.get(m) });
    this.spawned.push({ name: `${m.name}#${m.starts + 1}`, child });
    m.child = child;
    m.starts++;
    if (m.kind === 'worker') await child.waitFor(/ started: pool/, READY_TIMEOUT_MS);
    else await this.untilAnswers(m, child);
    if (m.child === child) m.ready = true;
  }

  private async untilAnswers(m: Member, child: CliChild): Promise<void> {
    const deadline = Date.now() + READY_TIMEOUT_MS;
    for (;;) {
      if (child.child.exitCode !== null || child.child.signalCode !== null) throw new Error(`${m.name} exited before it was ready:\n${child.out().slice(-3000)}`);
      const ok = await fetch(`http://127.0.0.1:${m.port}/readyz`).then(
        (r) => r.status === 200,
        () => false,
      );
      if (ok) return;
      if (Date.now() > deadline) throw new Error(`${m.name} did not answer /readyz within ${READY_TIMEOUT_MS} ms:\n${child.out().slice(-3000)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** SIGKILLs the member's process; resolves with its pid once it is gone. */
  async kill(m: Member): Promise<number> {
    const child = m.child;
    if (!child) throw new Error(`${m.name} is not running`);
    m.ready = false;
    const pid = child.child.pid ?? -1;
    await child.kill();
    return pid;
  }

  /** Starts the member again in the background; a failure is kept in startErrors. */
  restart(m: Member): Promise<void> {
    return this.start(m).catch((err: unknown) => {
      this.startErrors.push(`${m.name}: ${err instanceof Error ? err.message : String(err)}`);
    });
  }

  /** Whether another ready member would do the member's work: the other front, another worker of each of its pools. */
  replaceable(m: Member): boolean {
    const others = this.members.filter((o) => o !== m && o.ready && o.kind === m.kind);
    if (m.kind === 'front') return others.length > 0;
    return (m.pools ?? []).every((p) => others.some((o) => o.pools?.includes(p)));
  }

  ready(kind: Member['kind']): Member[] {
    return this.members.filter((m) => m.kind === kind && m.ready);
  }

  /** Pid of the member's current process. */
  pid(m: Member): number | undefined {
    return m.child?.child.pid;
  }

  /** SIGKILLs every process ever started here that is still running. */
  async stopAll(): Promise<void> {
    for (const m of this.members) m.ready = false;
    await Promise.all(this.spawned.map((s) => s.child.kill()));
  }

  /** Output lines of every process started here that contain `text`, each after the process' name. */
  linesWith(text: string): string[] {
    return this.spawned.flatMap((s) =>
      s
        .child.out()
        .split('\n')
        .filter((l) => l.includes(text))
        .map((l) => `${s.name}: ${l}`),
    );
  }
}
