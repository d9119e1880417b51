/**
 * The web pages on a real HTTP server over an engine harness (real Redis, real workers), and a
 * small Server-Sent Events client that reads a stream the way a browser's EventSource does.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { IncidentStore } from '../../src/alerts/incident-store.js';
import type { RunEvent } from '../../src/engine/types.js';
import { silentLogger } from '../../src/lib/logger.js';
import { createHttpServer } from '../../src/server/http-server.js';
import { mountWeb, type WebFront, type WebOptions } from '../../src/web/front.js';
import { runLink } from '../../src/web/run-routes.js';
import type { Harness } from './engine-harness.js';

export const WEB_KEY = 'web-tests-key-0123456789abcdefghijklmnop';
export const WEB_TOKEN = 'web-tests-list-token';

export interface WebTestFront {
  base: string;
  web: WebFront;
  /** Signed path of a run's page. */
  link(runId: string): string;
  close(): Promise<void>;
}

export async function startWebFront(h: Harness, web: Partial<WebOptions> = {}, now?: () => number): Promise<WebTestFront> {
  const server = createHttpServer({ log: silentLogger });
  const redis = new Redis(h.opts.redisUrl, { lazyConnect: true });
  const incidents = new IncidentStore(redis, h.opts.prefix);
  const front = await mountWeb({ server, runs: h.engine, incidents, log: silentLogger, web: { keys: [WEB_KEY], token: WEB_TOKEN, ...web }, now });
  const port = await server.listen(0, '127.0.0.1');
  return {
    base: `http://127.0.0.1:${port}`,
    web: front,
    link: (runId) => runLink(front.signer, runId) ?? '',
    async close() {
      await server.close();
      await front.close();
      redis.disconnect();
    },
  };
}

export interface SseMessage {
  id?: string;
  event: string;
  data: string;
}

/** Reads an event stream; `next()` resolves with each message in turn, undefined once it ended. */
export async function openSse(url: string, headers: Record<string, string> = {}): Promise<{ status: number; contentType: string | null; next(): Promise<SseMessage | undefined>; close(): void }> {
  const ctl = new AbortController();
  const res = await fetch(url, { headers: { accept: 'text/event-stream', ...headers }, signal: ctl.signal });
  const reader = res.body?.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  const queue: SseMessage[] = [];
  let ended = false;
  const parse = () => {
    let i: number;
    while ((i = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, i);
      buffer = buffer.slice(i + 2);
      const msg: SseMessage = { event: 'message', data: '' };
      let hasData = false;
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
        if (field === 'id') msg.id = value;
        else if (field === 'event') msg.event = value;
        else if (field === 'data') {
          msg.data += (hasData ? '\n' : '') + value;
          hasData = true;
        }
      }
      if (hasData) queue.push(msg);
    }
  };
  return {
    status: res.status,
    contentType: res.headers.get('content-type'),
    async next() {
      while (queue.length === 0 && !ended && reader) {
        const chunk = await reader.read().catch(() => ({ done: true as const, value: undefined }));
        if (chunk.done) ended = true;
        else {
          buffer += decoder.decode(chunk.value, { stream: true });
          parse();
        }
      }
      return queue.shift();
    },
    close() {
      ctl.abort();
    },
  };
}

/** The run events of a stream's messages (`data` JSON), in order. */
export function eventOf(msg: SseMessage): RunEvent {
  return JSON.parse(msg.data) as RunEvent;
}

/** A folder with a `go` file path: shell steps wait for it, so a test decides when they go on. */
export function gate(): { dir: string; path: string; open(name?: string): void; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'chatops-web-'));
  return {
    dir,
    path: join(dir, 'go'),
    open: (name = 'go') => writeFileSync(join(dir, name), ''),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
