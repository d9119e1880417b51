/**
 * Drives `chatops shell` in-process through piped (non-TTY) streams, as a person would type:
 * a prod restart needs an SRE's approval; the requester's own approval is refused, bob's is
 * accepted, and the final status is shown. Also: a refused command is audited, and end of input
 * closes everything so jest exits by itself.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PassThrough } from 'node:stream';
import { Redis } from 'ioredis';
import { runShell } from '../../src/adapters/shell/start.ts';
import { auditKey } from '../../src/chat/audit.ts';
import { silentLogger } from '../../src/lib/logger.ts';
import { testRedisUrl, uniquePrefix } from '../helpers/redis.ts';

class Terminal {
  readonly input = new PassThrough();
  readonly output = new PassThrough();
  text = '';
  constructor() {
    this.output.on('data', (c: Buffer) => {
      this.text += c.toString();
    });
  }
  type(line: string): void {
    this.input.write(`${line}\n`);
  }
  /** Waits until the output after `from` matches; returns the match. */
  async waitFor(re: RegExp, from = 0, timeoutMs = 20_000): Promise<RegExpMatchArray> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = this.text.slice(from).match(re);
      if (m) return m;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${re}; output so far:\n${this.text}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }
}

describe('chatops shell (piped stdin)', () => {
  const demo = mkdtempSync(join(tmpdir(), 'chatops-demo-'));
  const prefix = uniquePrefix('shell');
  beforeAll(() => {
    process.env.CHATOPS_DEMO_DIR = demo;
  });
  afterAll(() => {
    delete process.env.CHATOPS_DEMO_DIR;
    rmSync(demo, { recursive: true, force: true });
  });

  it('runs a prod restart through an approval: refused for the requester, accepted for an approver, final status shown', async () => {
    const term = new Terminal();
    const done = runShell({
      user: 'alice',
      input: term.input,
      output: term.output,
      redisUrl: testRedisUrl(),
      prefix,
      chatopsDir: resolve('.'),
      log: silentLogger,
      concurrency: 2,
    });
    await term.waitFor(/chatops shell as shell:alice/);

    term.type('help');
    await term.waitFor(/restart \{service\} \[in \{env\}\]/);

    // Bad input starts nothing and says why.
    let mark = term.text.length;
    term.type('restrat api');
    await term.waitFor(/E_UNKNOWN_COMMAND: unknown command "restrat"\n\s+Did you mean: restart\?/, mark);
    mark = term.text.length;
    term.type('restart Not_A_Service');
    await term.waitFor(/E_INVALID_INPUT: restart: service: does not match the pattern/, mark);

    // carol is a viewer: restart is refused and audited.
    mark = term.text.length;
    term.type('restart api in prod --as carol');
    await term.waitFor(/E_DENIED: You may not run restart here/, mark);

    mark = term.text.length;
    term.type('restart api in prod reason="memory leak"');
    const started = await term.waitFor(/run (r-[a-z0-9]+) started/, mark);
    const runId = started[1] ?? '';
    await term.waitFor(new RegExp(`approval for ${runId} step SRE approval \\(prod only\\): Restart api in prod \\(pid \\d+\\)\\? Reason: memory leak`), mark);
    await term.waitFor(new RegExp(`type approve ${runId} or deny ${runId}`), mark);

    mark = term.text.length;
    term.type(`approve ${runId}`);
    await term.waitFor(new RegExp(`E_APPROVAL_REFUSED: Your approval of ${runId} was not counted\\n\\s+the requester`), mark);

    mark = term.text.length;
    term.type(`approve ${runId} --as bob`);
    await term.waitFor(new RegExp(`shell:bob approved ${runId} \\(1 of 1\\): resuming`), mark);
    await term.waitFor(/started api with pid \d+/, mark);
    await term.waitFor(/status: succeeded in [\d.]+s/, mark);

    mark = term.text.length;
    term.type(`status ${runId}`);
    await term.waitFor(/✓ SRE approval \(prod only\)\s+succeeded [\d.]+s \(approved by shell:bob\)/, mark);

    term.input.end();
    await done;
    expect(term.text).not.toContain('${{');

    const redis = new Redis(testRedisUrl());
    const audit = await redis.xrange(auditKey(prefix), '-', '+');
    await redis.quit();
    const entries = audit.map(([, f]) => Object.fromEntries(Array.from({ length: f.length / 2 }, (_, i) => [f[2 * i], f[2 * i + 1]])));
    expect(entries).toContainEqual(expect.objectContaining({ type: 'denied', who: 'shell:carol', channel: 'shell', command: 'restart' }));
    expect(entries).toContainEqual(expect.objectContaining({ type: 'started', who: 'shell:alice', command: 'restart', runId }));
    expect(entries).toContainEqual(expect.objectContaining({ type: 'decided', who: 'shell:bob', command: 'approve', runId, detail: 'counted' }));
  }, 60_000);

  it('alert fire: a hand-made alert opens an incident in the terminal and starts its runbook; --resolve resolves it', async () => {
    const term = new Terminal();
    const done = runShell({ user: 'alice', input: term.input, output: term.output, redisUrl: testRedisUrl(), prefix: uniquePrefix('shell-alert'), chatopsDir: resolve('.'), log: silentLogger, concurrency: 2, alertChannel: 'shell:' });
    await term.waitFor(/chatops shell as shell:alice/);
    let mark = term.text.length;
    term.type('alert fire');
    await term.waitFor(/E_USAGE: usage: alert fire ALERTNAME/, mark);
    term.type('alert fire HighErrorRate service=checkout severity=critical');
    await term.waitFor(/✓ HighErrorRate fired: recorded/, mark);
    // The incident message, then the runbook its on.alert starts, reported here.
    const inc = (await term.waitFor(/Firing: HighErrorRate\S* \S*\[(i-[0-9a-z]{6})\]/, mark, 30_000))[1] ?? '';
    await term.waitFor(/run r-[0-9a-z]{6} · diagnose-high-error-rate/, mark, 30_000);
    // The example restart-service says on.alert start: manual: its button is the line to type.
    await term.waitFor(new RegExp(`type: ack ${inc} · run ${inc} restart-service`), mark, 30_000);
    mark = term.text.length;
    term.type(`run ${inc} restart-service`);
    const restartId = (await term.waitFor(/run (r-[0-9a-z]{6}) · restart-service/, mark, 30_000))[1] ?? '';
    await term.waitFor(new RegExp(`${restartId}[^\n]*succeeded|Restarted checkout in staging`), mark, 60_000);
    mark = term.text.length;
    term.type(`ack ${inc}`);
    await term.waitFor(/handled by/, mark, 30_000);
    mark = term.text.length;
    term.type(`postmortem ${inc}`);
    await term.waitFor(/# Postmortem|Postmortem/, mark, 30_000);
    await term.waitFor(/restart-service/, mark, 30_000);
    mark = term.text.length;
    term.type('alert fire HighErrorRate service=checkout severity=critical --resolve');
    await term.waitFor(/✓ HighErrorRate resolved: recorded/, mark);
    await term.waitFor(/Resolved: HighErrorRate/, mark, 30_000);
    term.input.end();
    await done;
  }, 90_000);
});
