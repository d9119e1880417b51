/**
 * Turns one run's record and events into chat writes through the pacer: the header (thread root,
 * a checklist edited in place), one reply per step with output, an approval reply per approval
 * step, a queued-behind-lock reply, notices, and a full-log upload for long outputs. It only writes
 * what changed (ignoring the clock), keeps message refs in `state` (the reporter stores them in
 * Redis), and knows when everything final has been written.
 */
import type { RunEvent, RunRecord } from '../engine/types.js';
import type { Logger } from '../lib/logger.js';
import { OutputBuffer } from './output-buffer.js';
import type { Pacer } from './pacer.js';
import type { ChatContent, ChatPlatform, MessageRef } from './platform.js';
import { buildApprovalViews, buildRunView, buildStepOutputView } from './render-model.js';

/** What a reporter must remember to continue another's work: refs of posted messages. */
export interface PresenterState {
  root?: MessageRef;
  /** Reply refs by key: `out:STEP`, `appr:STEP`, `queue`, `notice:STEP`. */
  replies: Record<string, MessageRef>;
  /** Steps whose full log was uploaded. */
  uploaded: string[];
}

export interface PresenterOptions {
  platform: ChatPlatform;
  pacer: Pacer;
  channel: string;
  state: PresenterState;
  log: Logger;
  now?: () => number;
  /** Called after a post adds a ref (persist it right away: a duplicate post is worse than a lost edit). */
  onState?: (state: PresenterState) => void | Promise<void>;
}

/** JSON of a view without the clock-driven fields, to tell real changes from ticking time. */
function signature(content: ChatContent): string {
  return JSON.stringify(content.view, (k, v: unknown) => (k === 'now' || k === 'durationMs' ? undefined : v));
}

export class RunPresenter {
  private readonly buffers = new Map<string, OutputBuffer>();
  private readonly notices = new Map<string, string>();
  private readonly written = new Map<string, string>();
  /** Messages whose latest content has not been written (the last attempt failed). */
  private readonly failed = new Set<string>();
  private cancellingBy: string | undefined;
  private run: RunRecord | undefined;
  private readonly now: () => number;

  constructor(private readonly opts: PresenterOptions) {
    this.now = opts.now ?? Date.now;
  }

  get state(): PresenterState {
    return this.opts.state;
  }

  /** Takes in events (output lines, notices, cancel requests); call render() after. */
  ingest(events: readonly RunEvent[]): void {
    for (const e of events) {
      if (e.type === 'step.output') {
        let b = this.buffers.get(e.step);
        if (!b) this.buffers.set(e.step, (b = new OutputBuffer()));
        b.push(e.lines, e.stream);
      } else if (e.type === 'notify') this.notices.set(e.step, e.text);
      else if (e.type === 'run.cancelling') this.cancellingBy = e.by;
    }
  }

  /** Submits writes for every message whose content changed. `force` rewrites the header (clock tick). */
  render(run: RunRecord, force = false): void {
    this.run = run;
    const now = this.now();
    const view = buildRunView(run, now, { cancellingBy: this.cancellingBy });
    this.put('root', { kind: 'run', view }, force);
    if (view.queue) this.put('queue', { kind: 'queued', view: view.queue });
    for (const a of buildApprovalViews(run)) this.put(`appr:${a.stepId}`, { kind: 'approval', view: a });
    for (const step of run.steps) {
      const buf = this.buffers.get(step.id);
      if (!buf || buf.size === 0) continue;
      const out = buildStepOutputView(run, step.id, buf.lines(), this.opts.platform.outputLimits, now);
      this.put(`out:${step.id}`, { kind: 'step-output', view: out });
      if (out.fullLog && !this.opts.state.uploaded.includes(step.id)) this.upload(step.id, out.fullLog);
    }
    for (const [stepId, text] of this.notices) this.put(`notice:${stepId}`, { kind: 'notice', view: { runId: run.id, stepId, text } });
  }

  /** True when some message's latest content failed to be written; render() again to retry it. */
  get behind(): boolean {
    return this.failed.size > 0;
  }

  /** True once the run is final and its final state has been handed to the pacer. */
  get final(): boolean {
    return this.run !== undefined && buildRunView(this.run, this.now()).final;
  }

  private put(key: string, content: ChatContent, force = false): void {
    const sig = signature(content);
    if (!force && this.written.get(key) === sig) return;
    // Notices never change; once posted they are left alone.
    if (key.startsWith('notice:') && this.opts.state.replies[key]) return;
    this.written.set(key, sig);
    const { pacer, channel } = this.opts;
    this.failed.delete(key);
    pacer.submit(key, channel, () =>
      this.write(key, content).then(
        () => {
          // Landed (maybe on a retry): unless newer content is queued, this message is current.
          const now = this.written.get(key);
          if (now === undefined || now === sig) {
            this.written.set(key, sig);
            this.failed.delete(key);
          }
        },
        (err: unknown) => {
          // Forget what was written so the next render submits this message again.
          if (this.written.get(key) === sig) {
            this.written.delete(key);
            this.failed.add(key);
          }
          throw err;
        },
      ),
    );
  }

  private async write(key: string, content: ChatContent): Promise<void> {
    const { platform, channel, state } = this.opts;
    if (key === 'root') {
      if (state.root) return platform.update(state.root, content);
      state.root = await platform.postRoot(channel, content);
      await this.opts.onState?.(state);
      return;
    }
    const root = state.root;
    // The root post failed: this reply is retried with backoff (no Retry-After: the platform did
    // not ask us to wait, so the channel is not blocked).
    if (!root) throw new Error('thread root not posted yet');
    const ref = state.replies[key];
    if (ref) return platform.update(ref, content);
    state.replies[key] = await platform.postReply(root, content);
    await this.opts.onState?.(state);
  }

  private upload(stepId: string, file: { filename: string; text: string }): void {
    const { platform, pacer, channel } = this.opts;
    pacer.submit(`file:${stepId}`, channel, async () => {
      const state = this.opts.state;
      if (state.uploaded.includes(stepId) || !state.root) return;
      await platform.uploadFile(state.root, { ...file, title: `full output of ${stepId}` });
      state.uploaded.push(stepId);
      await this.opts.onState?.(state);
    });
  }
}
