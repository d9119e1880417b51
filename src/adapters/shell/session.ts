/**
 * The interactive loop of `chatops shell`: reads lines (a prompt with history and completion on a
 * TTY; plain lines from a pipe), hands each to the router as the shell user, prints the replies,
 * and follows the run a line started or resumed until it is final or waits for an approval.
 * Lines run one after another, so a piped script behaves like a person typing and waiting.
 * Ctrl-C stops waiting on the current run (the run goes on); Ctrl-D (end of input) ends the session.
 */
import { createInterface, type Interface } from 'node:readline';
import type { Router } from '../../chat/router.js';
import type { ReporterPool } from '../../chat/reporter.js';
import type { RunsApi } from '../../engine/types.js';
import { FINAL_RUN_STATES } from '../../engine/types.js';
import type { Logger } from '../../lib/logger.js';
import { BUILTINS } from '../../chat/help.js';
import { complete } from './completer.js';
import { HISTORY_SIZE, historyFile, loadHistory, saveHistory } from './history.js';
import { applyLineOptions } from './line-options.js';
import type { Screen } from './screen.js';
import type { ShellPlatform } from './shell-platform.js';

export const SHELL_CHANNEL = 'shell';

export interface SessionOptions {
  user: string;
  input: NodeJS.ReadableStream;
  output: NodeJS.WritableStream;
  screen: Screen;
  platform: ShellPlatform;
  router: Router;
  runs: RunsApi;
  pool: ReporterPool;
  log: Logger;
  /** `alert fire ALERTNAME label=value… [--resolve]`: records a hand-made alert in this process; returns what to print. */
  fireAlert?: (words: string[]) => Promise<string[]>;
}

export class ShellSession {
  private rl: Interface | undefined;
  private lastRunId: string | undefined;
  private recentRuns: string[] = [];
  private stopFollowing: (() => void) | undefined;
  private ticker: NodeJS.Timeout | undefined;
  private interrupted = false;

  constructor(private readonly opts: SessionOptions) {}

  private identity(name = this.opts.user): string {
    return `shell:${name}`;
  }

  private commandNames(): string[] {
    const allowed = this.opts.router.allowedCommands(this.identity(), [], SHELL_CHANNEL).map((c) => c.name);
    return [...new Set([...allowed, ...BUILTINS, 'exit'])].sort();
  }

  /** Runs until the input ends (Ctrl-D, end of a pipe) or `exit`. */
  async run(): Promise<void> {
    const { screen, input, output } = this.opts;
    const rl = createInterface({
      input,
      output: screen.tty ? output : undefined,
      terminal: screen.tty,
      historySize: HISTORY_SIZE,
      history: screen.tty ? loadHistory(historyFile()) : [],
      completer: (line: string) => complete(line, this.commandNames(), this.recentRuns),
    });
    this.rl = rl;
    screen.attach(rl);
    rl.setPrompt(`${this.opts.user}> `);
    // Ctrl-C on a TTY (readline) or a signal when piped: stop waiting, keep the bot.
    const onInterrupt = () => {
      if (this.stopFollowing) {
        this.interrupted = true;
        this.stopFollowing();
      } else if (screen.tty) {
        output.write('^C\n');
        rl.prompt();
      } else {
        // Piped and idle: nothing to stop waiting for, so end the session (and clean up) as Ctrl-D.
        rl.close();
      }
    };
    // Stopped by the system: close cleanly too (a private redis-server must not outlive us).
    const onTerminate = () => {
      this.stopFollowing?.();
      rl.close();
    };
    if (screen.tty) rl.on('history', (h: string[]) => saveHistory(historyFile(), h));
    rl.on('SIGINT', onInterrupt);
    if (!screen.tty) process.on('SIGINT', onInterrupt);
    process.on('SIGTERM', onTerminate);
    if (screen.tty) {
      this.ticker = setInterval(() => this.opts.platform.redrawLive(), 1000);
      rl.prompt();
    }
    try {
      for await (const raw of rl) {
        const line = raw.trim();
        if (line === 'exit' || line === 'quit') break;
        if (line !== '') {
          try {
            await this.handle(line);
          } catch (err) {
            // One bad line (Redis hiccup, a bug) must not end the session.
            this.opts.log.error({ err }, 'shell line failed'); // not the line: it may hold a secret input
            screen.print([`✗ ${err instanceof Error ? err.message : String(err)}`]);
          }
        }
        if (screen.tty) rl.prompt();
      }
    } finally {
      if (this.ticker) clearInterval(this.ticker);
      process.off('SIGINT', onInterrupt);
      process.off('SIGTERM', onTerminate);
      this.stopFollowing?.();
      rl.close();
    }
  }

  private async handle(line: string): Promise<void> {
    const { router, platform, screen, log } = this.opts;
    const fire = /^alert\s+fire(?:\s+(.*))?$/.exec(line);
    if (fire && this.opts.fireAlert) {
      screen.print(await this.opts.fireAlert((fire[1] ?? '').split(/\s+/).filter(Boolean)));
      return;
    }
    const opts = applyLineOptions(line, this.lastRunId);
    if (opts.error) {
      screen.print([`✗ E_USAGE: ${opts.error}`]);
      return;
    }
    const user = this.identity(opts.as);
    const target = { platform: 'shell', channel: SHELL_CHANNEL, user };
    const result = await router.handleMessage({ platform: 'shell', user: { identity: user, groups: [] }, channel: SHELL_CHANNEL, text: opts.text });
    // The ack first, then the work it announced (writing the run); its follow-ups print here too.
    for (const r of result.replies) await platform.reply(target, r);
    const done = result.afterAck ? await result.afterAck((c) => platform.reply(target, c)) : result;
    // A start that failed after its ack leaves no run behind: keep the last one that exists.
    const runId = result.afterAck ? done.runId : result.runId;
    if (runId) this.lastRunId = runId;
    if (done.started && done.runId) screen.print([`run ${done.runId} started (Ctrl-C stops waiting, not the run)`]);
    void this.refreshRuns().catch((err: unknown) => log.debug({ err }, 'listing runs for completion failed'));
    if (done.follow && done.runId) await this.follow(done.runId);
  }

  private async refreshRuns(): Promise<void> {
    this.recentRuns = (await this.opts.runs.listRuns({ channel: SHELL_CHANNEL, limit: 20 })).map((r) => r.id);
  }

  /** Waits until the run's final state is written, it waits for an approval, or Ctrl-C. */
  private async follow(runId: string): Promise<void> {
    const { platform, pool, runs } = this.opts;
    platform.follow(runId);
    let settle: () => void = () => undefined;
    const done = new Promise<void>((resolve) => {
      settle = resolve;
    });
    this.stopFollowing = settle;
    // Parked for an approval: stop once both the checklist says so and the request is shown.
    let headerWaiting = false;
    let approvalShown = false;
    const unwatch = platform.onWrite((c) => {
      if (c.kind === 'run' && c.view.runId === runId) headerWaiting = c.view.state === 'waiting';
      if (c.kind === 'approval' && c.view.runId === runId) approvalShown = c.view.pending;
      if (headerWaiting && approvalShown) settle();
    });
    void pool.whenFinished(runId).then(settle);
    // The final state may have been written before we started to wait: check Redis too.
    const poll = setInterval(() => {
      void (async () => {
        const run = await runs.getRun(runId);
        if (!run) return settle();
        if (FINAL_RUN_STATES.includes(run.state) && (await pool.store.load(runId))?.done) settle();
      })().catch(() => undefined);
    }, 500);
    try {
      await done;
    } finally {
      clearInterval(poll);
      unwatch();
      this.stopFollowing = undefined;
      platform.follow(undefined);
      if (this.interrupted) {
        this.interrupted = false;
        this.opts.screen.print([`(stopped waiting; ${runId} goes on: \`status ${runId}\` shows it, \`cancel ${runId}\` stops it)`]);
      }
    }
  }
}
