/**
 * The terminal as a chat platform. Messages live in memory (ref id = a counter); every write is
 * shown on the screen. On a TTY the followed run's messages form the live region, redrawn in
 * place; other messages, and everything when not on a TTY, print only what is new since the last
 * write of that message (new checklist lines, new output lines), so a piped transcript reads like
 * a log. Long step logs are saved as files and their path printed.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ChatContent, ChatPlatform, FileUpload, MessageRef, ReplyTarget } from '../../chat/platform.js';
import { formatContent } from './ansi-format.js';
import type { Screen } from './screen.js';

interface Shown {
  ref: MessageRef;
  content: ChatContent;
  runId?: string;
  /** Lines already printed (plain mode), to print only new ones. */
  printed: Set<string>;
  /** Output lines already printed (plain mode). */
  printedOutput: number;
  /** Printed for good while its run was followed (finished step output, decided approval, notice). */
  committed: boolean;
}

export interface ShellPlatformOptions {
  screen: Screen;
  color: boolean;
  /** Where full logs of long steps are saved. */
  logDir: string;
  /**
   * Tells this terminal apart from other shells on the same Redis: each shell's reporter draws
   * only the runs started in it (platform name `shell.<instance>`).
   */
  instance: string;
  /** Terminal height, to keep the live region on screen. */
  rows?: () => number | undefined;
}

function runIdOf(c: ChatContent): string | undefined {
  return c.kind === 'reply' || c.kind === 'incident' || c.kind === 'incident-change' ? undefined : c.view.runId;
}

export class ShellPlatform implements ChatPlatform {
  readonly name: string;
  // A terminal takes many writes; the pacer still coalesces bursts into a few redraws per second.
  readonly budget = { writes: 20, perMs: 1000 };
  readonly outputLimits = { maxLines: 12, maxChars: 4000 };
  private readonly messages = new Map<string, Shown>();
  private seq = 0;
  private following: string | undefined;
  /** The run the last printed lines were about (plain log). */
  private lastRun: string | undefined;
  private listeners: ((c: ChatContent) => void)[] = [];

  constructor(private readonly opts: ShellPlatformOptions) {
    this.name = `shell.${opts.instance}`;
  }

  /** Calls `fn` after every write (the session watches its followed run). */
  onWrite(fn: (c: ChatContent) => void): () => void {
    this.listeners.push(fn);
    return () => {
      this.listeners = this.listeners.filter((l) => l !== fn);
    };
  }

  /** Makes `runId`'s messages the live region (TTY), or stops following with undefined. */
  follow(runId: string | undefined): void {
    const before = this.following;
    if (before !== undefined && runId !== before) {
      this.opts.screen.commitLive();
      // What the region showed is on screen now: later updates print only what changed.
      for (const m of this.messages.values()) if (m.runId === before) this.markPrinted(m);
    }
    this.following = runId;
    if (runId !== undefined) {
      for (const m of this.messages.values()) if (m.runId === runId) m.committed = m.committed || this.permanent(m.content);
      this.redrawLive();
    }
  }

  get followed(): string | undefined {
    return this.following;
  }

  /** Re-renders the live region (elapsed times), TTY only. */
  redrawLive(): void {
    if (!this.opts.screen.tty || this.following === undefined) return;
    const now = Date.now();
    const fmt = (c: ChatContent) => formatContent(c, { color: this.opts.color, now });
    const mine = [...this.messages.values()].filter((m) => m.runId === this.following && !m.committed && m.content.kind !== 'reply');
    const header = mine.filter((m) => m.content.kind === 'run' || m.content.kind === 'queued').flatMap((m) => fmt(m.content));
    const rest = mine.filter((m) => m.content.kind !== 'run' && m.content.kind !== 'queued').flatMap((m) => fmt(m.content));
    // Never taller than the terminal, or redrawing in place would scroll and smear.
    const room = Math.max(3, (this.opts.rows?.() ?? 24) - 2 - header.length);
    this.opts.screen.setLive([...header, ...(rest.length > room ? rest.slice(rest.length - room) : rest)]);
  }

  /** Content that will not change any more, printed for good rather than kept in the live region. */
  private permanent(c: ChatContent): boolean {
    return (c.kind === 'step-output' && c.view.final) || (c.kind === 'approval' && !c.view.pending) || c.kind === 'notice';
  }

  private markPrinted(m: Shown): void {
    m.printed = new Set(formatContent(m.content, { color: this.opts.color, clock: false }));
    if (m.content.kind === 'step-output') m.printedOutput = m.content.view.totalLines;
  }

  private show(m: Shown): void {
    const tty = this.opts.screen.tty;
    if (tty && m.runId !== undefined && m.runId === this.following) {
      if (!m.committed && this.permanent(m.content)) {
        m.committed = true;
        this.markPrinted(m);
        this.opts.screen.print(formatContent(m.content, { color: this.opts.color, now: Date.now() }));
      }
      this.redrawLive();
    } else if (m.content.kind === 'step-output') {
      const v = m.content.view;
      // Print only output lines not printed yet; say when some scrolled past unseen.
      const fresh = v.totalLines - m.printedOutput;
      const lines: string[] = [];
      const header = formatContent(m.content, { color: this.opts.color })[0] ?? '';
      if (m.printedOutput === 0 || v.final) lines.push(header);
      if (fresh > 0) {
        const shown = v.lines.slice(Math.max(0, v.lines.length - fresh));
        if (fresh > shown.length) lines.push(`  │ … ${fresh - shown.length} lines not shown …`);
        lines.push(...shown.map((l) => `  │ ${l.text}`));
        m.printedOutput = v.totalLines;
      }
      if (v.final && v.error && v.state !== 'succeeded') lines.push(`  error: ${v.error}`);
      this.printFor(m, lines);
    } else {
      const lines = formatContent(m.content, { color: this.opts.color, clock: false });
      // The final checklist is printed whole (every step's outcome, failures included, not only the
      // lines that changed last); only the "by … · inputs" line (index 1) is not repeated.
      const whole = m.content.kind === 'run' && m.content.view.final;
      const fresh = lines.filter((l, i) => !m.printed.has(l) || (whole && i !== 1));
      for (const l of fresh) m.printed.add(l);
      this.printFor(m, fresh);
    }
    for (const l of this.listeners) l(m.content);
  }

  /**
   * Prints lines of a run's message; when the previous lines were about another run, a context
   * line first, so interleaved runs stay readable in a plain log.
   */
  private printFor(m: Shown, lines: string[]): void {
    if (lines.length === 0) return;
    if (m.runId !== undefined && m.runId !== this.lastRun && !(lines[0] ?? '').includes(m.runId)) lines = [`[${m.runId}]`, ...lines];
    if (m.runId !== undefined) this.lastRun = m.runId;
    this.opts.screen.print(lines);
  }

  private store(ref: MessageRef, content: ChatContent): void {
    const m: Shown = { ref, content, runId: runIdOf(content), printed: new Set(), printedOutput: 0, committed: false };
    this.messages.set(ref.id, m);
    this.show(m);
  }

  async postRoot(channel: string, content: ChatContent): Promise<MessageRef> {
    const ref = { platform: this.name, channel, id: String(++this.seq) };
    this.store(ref, content);
    return ref;
  }

  async postReply(root: MessageRef, content: ChatContent): Promise<MessageRef> {
    const ref = { platform: this.name, channel: root.channel, id: String(++this.seq), thread: root.id };
    this.store(ref, content);
    return ref;
  }

  async update(ref: MessageRef, content: ChatContent): Promise<void> {
    const m = this.messages.get(ref.id);
    if (!m) {
      // A ref from another process (a shell restarted on the same Redis): show it as new.
      this.store(ref, content);
      return;
    }
    m.content = content;
    this.show(m);
  }

  async uploadFile(root: MessageRef, file: FileUpload): Promise<MessageRef> {
    mkdirSync(this.opts.logDir, { recursive: true });
    const path = join(this.opts.logDir, file.filename.replace(/[^A-Za-z0-9._-]/g, '_'));
    writeFileSync(path, `${file.text}\n`, { mode: 0o600 });
    this.opts.screen.print([`  full log saved: ${path}`]);
    return { platform: this.name, channel: root.channel, id: String(++this.seq), thread: root.id };
  }

  async reply(_to: ReplyTarget, content: ChatContent): Promise<void> {
    this.opts.screen.print(formatContent(content, { color: this.opts.color, now: Date.now() }));
  }
}
