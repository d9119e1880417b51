/**
 * Fan-out of runs' events to the web pages' live viewers. However many people watch however many
 * runs, a front reads the streams with one blocking XREAD (the chat EventFeed, one subscription
 * per watched run) and hands each event to every viewer of that run in the process.
 *
 * A viewer comes with a cursor (the last event its page has: from the page itself or from the
 * browser's Last-Event-ID on reconnect) that may lag behind, or run ahead of, where the run's
 * subscription is. It first catches up with plain reads from its own cursor until it has reached
 * the subscription's position, then joins in the same tick (no await between the check and the
 * join); from then on it gets only events after the last one it was given. So a reconnect resumes
 * exactly where it left off: no gap, no duplicate.
 */
import { EventFeed, type Subscription } from '../chat/event-feed.js';
import type { RunEvent, RunsApi } from '../engine/types.js';
import type { Logger } from '../lib/logger.js';
import { compareStreamIds } from './stream-ids.js';

export interface Viewer {
  /** Receives events in stream order, each once. */
  push(event: RunEvent): void;
}

interface Watched {
  sub: Subscription;
  /** The id of the last event handed to the viewers. */
  cursor: string;
  viewers: Map<Viewer, { last: string }>;
}

export interface EventHubOptions {
  runs: Pick<RunsApi, 'readEvents' | 'readEventsMany'>;
  log: Logger;
  blockMs?: number;
}

export class EventHub {
  private readonly feed: EventFeed;
  private readonly watched = new Map<string, Watched>();
  private closed = false;

  constructor(private readonly opts: EventHubOptions) {
    this.feed = new EventFeed({ runs: opts.runs, log: opts.log, blockMs: opts.blockMs ?? 1000 });
  }

  /** Runs with at least one viewer (tests, metrics). */
  runsWatched(): number {
    return this.watched.size;
  }

  viewers(runId: string): number {
    return this.watched.get(runId)?.viewers.size ?? 0;
  }

  /**
   * Starts sending a run's events after `after` to a viewer; resolves once it has joined the live
   * feed (the catch-up events are pushed before). Returns the function that stops it.
   */
  async watch(runId: string, after: string, viewer: Viewer): Promise<() => void> {
    let last = after;
    for (;;) {
      if (this.closed) return () => undefined;
      const w = this.watched.get(runId);
      if (w === undefined || compareStreamIds(last, w.cursor) >= 0) {
        // In step with (or ahead of) the live feed: join now, in this tick.
        const entry = w ?? this.start(runId, last);
        entry.viewers.set(viewer, { last });
        return () => this.leave(runId, entry, viewer);
      }
      // Behind the live feed: read up to where it is.
      const events = await this.opts.runs.readEvents(runId, { after: last, count: 1000 });
      if (events.length === 0) {
        // Nothing after our cursor although the feed is ahead: the stream was trimmed or is gone.
        last = w.cursor;
        continue;
      }
      for (const e of events) {
        viewer.push(e);
        last = e.id ?? last;
      }
    }
  }

  private start(runId: string, cursor: string): Watched {
    const entry: Watched = { sub: this.feed.subscribe(runId, cursor), cursor, viewers: new Map() };
    this.watched.set(runId, entry);
    void this.pump(runId, entry);
    return entry;
  }

  private async pump(runId: string, entry: Watched): Promise<void> {
    while (this.watched.get(runId) === entry) {
      const events = await entry.sub.next(1000);
      for (const e of events) {
        if (e.id === undefined) continue;
        entry.cursor = e.id;
        for (const [viewer, state] of entry.viewers) {
          if (compareStreamIds(e.id, state.last) <= 0) continue;
          state.last = e.id;
          try {
            viewer.push(e);
          } catch (err) {
            this.opts.log.debug({ err, runId }, 'web viewer failed to take an event');
          }
        }
      }
    }
  }

  private leave(runId: string, entry: Watched, viewer: Viewer): void {
    entry.viewers.delete(viewer);
    if (entry.viewers.size === 0 && this.watched.get(runId) === entry) {
      this.watched.delete(runId);
      entry.sub.close();
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const w of this.watched.values()) w.sub.close();
    this.watched.clear();
    await this.feed.close();
  }
}
