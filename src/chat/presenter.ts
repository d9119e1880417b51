/**
 * Turns one run's record and events into chat writes through the pacer: the header (thread root,
 * a checklist edited in place), one reply per step with output, an approval reply per approval
 * step, a queued-behind-lock reply, notices, and a full-log upload for long outputs. It only writes
 * what changed (ignoring the clock), keeps message refs in `state` (the reporter stores them in
 * Redis), and knows when everything final has been written.
 *
 * When the platform refuses the channel for good (ChannelUnavailableError: the bot is not a member)
 * the run is reported to its requester privately instead: one notice saying why and how to fix it,
 * then the final status when the run ends. While the run is not final the channel is tried again
 * now and then (`channelRetryMs`, through the pacer like any write): once it takes the header (the
 * bot was invited), the run is reported there again as usual and the stored state says so.
 */
import type { RunEvent, RunRecord } from '../engine/types.js';
import type { Logger } from '../lib/logger.js';
import { OutputBuffer } from './output-buffer.js';
import type { Pacer } from './pacer.js';
import { ChannelUnavailableError, isPermanentWriteError, rootKeyOf, type ChatContent, type ChatPlatform, type MessageRef, type ReplyTarget } from './platform.js';
import { postOnce } from './post-once.js';
import { buildApprovalViews, buildRunView, buildStepOutputView, type NoWorkerNotice, type RunView } from './render-model.js';
import { reply, text } from './replies.js';

/** What a reporter must remember to continue another's work: refs of posted messages. */
export interface PresenterState {
  root?: MessageRef;
  /**
   * When (ms) a post of the header was first sent while no `root` is kept: saved before the post,
   * cleared with the ref after it. A replica that finds it set with no root looks the header up on
   * the platform (ChatPlatform.findRoot) before posting, since the one sent may have landed with
   * its sender dead before it saved the ref.
   */
  headerSince?: number;
  /** Reply refs by key: `out:STEP`, `appr:STEP`, `queue`, `notice:STEP`. */
  replies: Record<string, MessageRef>;
  /** Steps whose full log was uploaded. */
  uploaded: string[];
  /** Set while the platform refuses the channel; the run is reported privately until it accepts again. */
  unavailable?: { platformCode: string; message: string; fix: string };
  /** Private messages to the requester already delivered (`private:notice`, `private:final`). */
  delivered?: string[];
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
  /** Who started the run and how to reach them privately (used when the channel is unavailable). */
  requester?: ReplyTarget;
  /** How often the channel is tried again while the run is reported privately; default a minute. */
  channelRetryMs?: number;
  /** The run's web page for the header's "View" link; none when it answers undefined. */
  linkFor?: (runId: string) => string | undefined;
  /** The thread to report in (an incident's message): the header is a reply there, not a new message. */
  threadRoot?: () => Promise<MessageRef | undefined>;
  /** The platform refused or failed a header lookup (see `headerSince`); the header is posted instead. */
  onLookupFailed?: (err: unknown) => void;
}

/** Default of PresenterOptions.channelRetryMs. */
export const CHANNEL_RETRY_MS = 60_000;

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
  private readonly noWorker = new Map<string, NoWorkerNotice>();
  private toldNoRequester = false;
  private run: RunRecord | undefined;
  private readonly now: () => number;
  /** When the channel was last refused or tried again (a taken-over run waits one interval too). */
  private channelTriedAt: number;

  constructor(private readonly opts: PresenterOptions) {
    this.now = opts.now ?? Date.now;
    this.channelTriedAt = this.now();
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
      else if (e.type === 'step.no_worker') this.noWorker.set(e.step, { attempt: e.attempt, pool: e.pool });
    }
  }

  /** Submits writes for every message whose content changed. `force` rewrites the header (clock tick). */
  render(run: RunRecord, force = false): void {
    this.run = run;
    const now = this.now();
    const view = buildRunView(run, now, { cancellingBy: this.cancellingBy, noWorker: this.noWorker });
    const link = this.opts.linkFor?.(run.id);
    if (link !== undefined) view.link = link;
    if (this.opts.state.unavailable) return this.renderPrivately(view);
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

  /**
   * The run vanished from Redis (expired, or Redis lost its data): one reply in its thread says so,
   * since its header would otherwise show its last state (often "running") forever. A notice is
   * posted once (its ref is kept in the saved state), so a replica taking over does not repeat it.
   */
  gone(runId: string): void {
    if (this.opts.state.unavailable || !this.opts.state.root) return;
    // The header too: its last state (often "running") would otherwise stand forever.
    if (this.run) {
      const view = buildRunView(this.run, this.now(), { cancellingBy: this.cancellingBy, noWorker: this.noWorker });
      const link = this.opts.linkFor?.(this.run.id);
      if (link !== undefined) view.link = link;
      view.gone = true;
      this.put('root', { kind: 'run', view });
    }
    this.put('notice:gone', { kind: 'notice', view: { runId, text: `${runId} is gone: its record is no longer in Redis (expired, or Redis lost its data), so the messages above are its last known state and no more will come` } });
  }

  /** True when some message's latest content failed to be written; render() again to retry it. */
  get behind(): boolean {
    return this.failed.size > 0;
  }

  /** True once the channel was refused for good and the run is reported to its requester only. */
  get unavailable(): boolean {
    return this.opts.state.unavailable !== undefined;
  }

  /**
   * Channel unavailable: the notice once, and the final status once the run is final. Until then
   * the channel is tried again every `channelRetryMs`.
   */
  private renderPrivately(view: RunView): void {
    const { state, requester, platform } = this.opts;
    const unavailable = state.unavailable;
    if (!unavailable) return;
    if (!view.final && this.now() - this.channelTriedAt >= (this.opts.channelRetryMs ?? CHANNEL_RETRY_MS)) this.retryChannel({ kind: 'run', view });
    if (!requester) {
      // Nothing can be delivered anywhere: say so once, and do not keep the reporter retrying.
      if (!this.toldNoRequester) this.opts.log.error({ platformCode: unavailable.platformCode }, 'channel unavailable and no requester to tell privately; this run is not reported');
      this.toldNoRequester = true;
      return;
    }
    const status = `\`${platform.commandPrefix ?? ''}status ${view.runId}\``;
    this.putPrivate(
      'private:notice',
      reply('error', `I cannot post in this channel, so ${view.runId} is reported to you privately`, [
        text(unavailable.message),
        text(`To fix it: ${unavailable.fix} (I try the channel again now and then, and the run moves there once I can post).`),
        text(`${view.runId} goes on: ${status} shows how it goes, and its final status will be sent to you here.`),
        // Its Approve/Deny buttons cannot be shown in the channel either.
        ...(view.steps.some((s) => s.kind === 'approval') ? [text(`It asks for an approval: approvers type \`${platform.commandPrefix ?? ''}approve ${view.runId}\`.`)] : []),
      ], { code: 'E_CHANNEL_UNAVAILABLE', ephemeral: true }),
    );
    if (view.final) this.putPrivate('private:final', { kind: 'run', view });
  }

  /**
   * Tries the channel again with the header (as the `root` write, so the pacer's budget and
   * per-message interval hold). Refused again: the run stays private, nobody is told anything new.
   * Accepted: the channel is available again and every message is written there afresh.
   */
  private retryChannel(header: ChatContent): void {
    const { pacer, channel, state, log } = this.opts;
    this.channelTriedAt = this.now();
    pacer.submit('root', channel, async (): Promise<void | 'refused'> => {
      // Back already (an earlier try landed), or too late: a final run is reported where it is.
      if (!state.unavailable || this.final) return undefined;
      try {
        await this.writeHeader(header);
      } catch (err) {
        this.channelTriedAt = this.now();
        if (err instanceof ChannelUnavailableError) {
          log.debug({ platformCode: err.platformCode }, 'channel still unavailable; the run stays private');
          return 'refused';
        }
        throw err;
      }
      log.info({ channel }, 'the channel takes writes again; reporting the run there');
      delete state.unavailable;
      // Whatever was written (or skipped) while the channel was refused is written there afresh.
      for (const k of [...this.written.keys()]) if (!k.startsWith('private:')) this.written.delete(k);
      for (const k of this.failed) if (!k.startsWith('private:')) this.failed.delete(k);
      this.written.set('root', signature(header));
      await this.opts.onState?.(state);
      // The notice promised the final status privately: say where it will be instead.
      if (this.opts.requester && state.delivered?.includes('private:notice') && header.kind === 'run') {
        this.putPrivate('private:moved', reply('info', `${header.view.runId} is now reported in the channel`, [text('I can post there now: its progress and final status are in its thread.')]));
      }
      if (this.run) this.render(this.run);
      return undefined;
    });
  }

  private putPrivate(key: string, content: ChatContent): void {
    if (this.opts.state.delivered?.includes(key)) return;
    this.put(key, content);
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
        (outcome) => {
          // Landed (maybe on a retry), or the channel refused it and the run went private: unless
          // newer content is queued, this message is current.
          const now = this.written.get(key);
          if (now === undefined || now === sig) {
            this.written.set(key, sig);
            this.failed.delete(key);
          }
          return outcome;
        },
        (err: unknown) => {
          // Forget what was written so the next render submits this message again.
          if (this.written.get(key) === sig) {
            this.written.delete(key);
            // A permanent refusal is not retried, so it does not hold the reporter back either.
            if (!isPermanentWriteError(err)) this.failed.add(key);
          }
          throw err;
        },
      ),
    );
  }

  /** Writes one message; 'refused' when the channel refused it and the run went private instead. */
  private async write(key: string, content: ChatContent): Promise<void | 'refused'> {
    try {
      await this.writeOne(key, content);
    } catch (err) {
      if (!(err instanceof ChannelUnavailableError) || key.startsWith('private:')) {
        if (err instanceof ChannelUnavailableError) {
          // Neither the channel nor the requester can be reached: nothing left to try.
          this.opts.log.error({ err, key }, 'could not tell the requester privately either; this run is not reported');
          this.markDelivered(key);
        }
        throw err;
      }
      await this.becomeUnavailable(err);
      return 'refused';
    }
  }

  /** The channel refused us for good: stop writing there and switch to the requester. */
  private async becomeUnavailable(err: ChannelUnavailableError): Promise<void> {
    const { state } = this.opts;
    if (state.unavailable) return;
    this.opts.log.warn({ platformCode: err.platformCode, channel: err.channel }, 'the bot may not post in this channel; reporting the run to its requester privately');
    state.unavailable = { platformCode: err.platformCode, message: err.message, fix: err.fix };
    this.channelTriedAt = this.now();
    // Channel writes that failed before (replies waiting for the root) will never be written.
    for (const k of this.failed) if (!k.startsWith('private:')) this.failed.delete(k);
    await this.opts.onState?.(state);
    if (this.run) this.render(this.run);
  }

  private markDelivered(key: string): void {
    const { state } = this.opts;
    state.delivered = [...(state.delivered ?? []), key];
  }

  /**
   * Writes the header: edits the one kept in `state`; else posts it once (post-once.ts): adopts
   * the one an earlier post left (`headerSince` set and the platform shows it), or marks a post as
   * sent, saves that, and posts (a new message in the channel, or a reply in the thread it
   * reports in).
   */
  private async writeHeader(content: ChatContent): Promise<void> {
    const { platform, channel, state, threadRoot } = this.opts;
    if (state.root) return platform.update(state.root, content);
    const parent = threadRoot ? await threadRoot() : undefined;
    // Retried with backoff by the pacer: the incident reporter posts the incident's message first.
    if (threadRoot && !parent) throw new Error('the thread this run reports in (its incident message) is not posted yet');
    const { ref, found, stale } = await postOnce({
      platform,
      channel,
      key: rootKeyOf(content),
      thread: parent,
      since: state.headerSince,
      mark: async (since) => {
        if (since === undefined) delete state.headerSince;
        else state.headerSince = since;
        await this.opts.onState?.(state);
      },
      post: () => (parent ? platform.postReply(parent, content) : platform.postRoot(channel, content)),
      onLookupFailed: this.opts.onLookupFailed,
      now: this.now,
    });
    if (found) this.opts.log.info({ root: ref.id }, 'adopting the header an earlier post left (its ref was never saved)');
    state.root = ref;
    delete state.headerSince;
    await this.opts.onState?.(state);
    if (stale) await platform.update(ref, content);
  }

  private async writeOne(key: string, content: ChatContent): Promise<void> {
    const { platform, state } = this.opts;
    if (key.startsWith('private:')) {
      if (!this.opts.requester || state.delivered?.includes(key)) return;
      await platform.reply(this.opts.requester, content);
      this.markDelivered(key);
      await this.opts.onState?.(state);
      return;
    }
    // Writes queued before the channel was refused: they would be refused too.
    if (state.unavailable) return;
    if (key === 'root') return this.writeHeader(content);
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
      if (state.uploaded.includes(stepId) || !state.root || state.unavailable) return;
      await platform.uploadFile(state.root, { ...file, title: `full output of ${stepId}` });
      state.uploaded.push(stepId);
      await this.opts.onState?.(state);
    });
  }
}
