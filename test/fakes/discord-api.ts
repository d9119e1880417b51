/**
 * A small local fake of the Discord REST API (v10) for tests, used by the real @discordjs/rest
 * client through DISCORD_API_URL. So far it answers what `serve` asks at start: GET /users/@me
 * and GET /applications/@me for one valid bot token (401 with Discord's JSON error otherwise),
 * and records every call. It listens on 127.0.0.1 on a free port.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedDiscordCall {
  method: string;
  path: string;
  auth?: string;
  status: number;
}

export class FakeDiscordApi {
  readonly calls: RecordedDiscordCall[] = [];
  readonly token = 'fake-discord-bot-token';
  readonly applicationId = '100000000000000001';
  readonly botUserId = '100000000000000002';
  private server: Server | undefined;
  apiUrl = '';

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const path = decodeURIComponent((req.url ?? '').split('?')[0] ?? '');
      const auth = req.headers.authorization;
      const answer = (status: number, body: unknown) => {
        this.calls.push({ method: req.method ?? '', path, auth, status });
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      };
      req.resume();
      req.on('end', () => {
        if (auth !== `Bot ${this.token}`) return answer(401, { message: '401: Unauthorized', code: 0 });
        if (req.method === 'GET' && path === '/api/v10/users/@me') return answer(200, { id: this.botUserId, username: 'chatops', discriminator: '0', bot: true });
        if (req.method === 'GET' && path === '/api/v10/applications/@me') return answer(200, { id: this.applicationId, name: 'chatops' });
        return answer(404, { message: '404: Not Found', code: 0 });
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.apiUrl = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/api`;
    return this;
  }

  /** Polls `probe` until it returns a value (generous ceiling: the machine may be loaded). */
  async waitFor<T>(probe: () => T | undefined | false, timeoutMs = 20_000, what = 'condition'): Promise<T> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const v = probe();
      if (v !== undefined && v !== false) return v;
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
