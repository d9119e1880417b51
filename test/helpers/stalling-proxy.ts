/**
 * A TCP proxy in front of a server (Redis) that a test can stall: `stall(ms)` holds every byte
 * clients send for the next `ms` (a Redis busy with a slow command, a network blip), then lets
 * them through in order. Only what goes through the proxy is slowed, not other tests on the
 * same server.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

export interface StallingProxy {
  /** The same URL as the target's, pointing at the proxy. */
  url: string;
  stall(ms: number): void;
  close(): Promise<void>;
}

export async function stallingProxy(targetUrl: string): Promise<StallingProxy> {
  const target = new URL(targetUrl);
  let until = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(Number(target.port || 6379), target.hostname);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => (client.destroy(), upstream.destroy()));
    }
    upstream.pipe(client);
    // Chunks held during a stall, released in order when it ends.
    const held: Buffer[] = [];
    client.on('data', (chunk: Buffer) => {
      const wait = until - Date.now();
      if (held.length === 0 && wait <= 0) return void upstream.write(chunk);
      if (held.push(chunk) > 1) return;
      setTimeout(function release() {
        const more = until - Date.now();
        if (more > 0) return void setTimeout(release, more);
        for (const c of held.splice(0)) upstream.write(c);
      }, wait);
    });
    client.on('end', () => upstream.end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const proxied = new URL(targetUrl);
  proxied.hostname = '127.0.0.1';
  proxied.port = String((server.address() as AddressInfo).port);
  return {
    url: proxied.toString(),
    stall(ms) {
      until = Math.max(until, Date.now() + ms);
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
