/**
 * The Gateway side of the fake Discord: a WebSocket server on the fake API's HTTP server (at the
 * URL its GET /gateway/bot answers) speaking the Gateway protocol as a bot sees it with JSON
 * encoding and no compression: HELLO (op 10) on connect; IDENTIFY (op 2) checked (bot token,
 * intents; 4004 when the token is wrong, 4003 for anything before it) and answered with READY;
 * heartbeats (op 1) answered with HEARTBEAT_ACK (op 11); RESUME (op 6) replays what was dispatched
 * after the client's sequence and ends with RESUMED. Tests dispatch INTERACTION_CREATE (op 0) and
 * can drop connections to make the client resume.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { acceptUpgrade, type WsConnection } from './ws-connection.js';

interface Session {
  id: string;
  /** Everything dispatched in this session, for RESUME to replay. */
  events: { s: number; t: string; d: unknown }[];
  seq: number;
  conn?: WsConnection;
}

export interface FakeGatewayOptions {
  /** HELLO's heartbeat_interval (Discord: about 41 s; tests shorten it). */
  heartbeatMs?: number;
}

export class FakeDiscordGateway {
  /** What the client sent, op by op (IDENTIFY payloads keep their `d`). */
  readonly received: { op: number; d?: unknown }[] = [];
  /** When set, IDENTIFY is refused with 4004 whatever the token (a token the Gateway no longer takes). */
  refuseIdentify = false;
  /** When set, connections are refused (503 to the upgrade): the Gateway stays out of reach. */
  refuseConnections = false;
  heartbeatAcks = 0;
  identifies = 0;
  resumes = 0;
  private readonly sessions = new Map<string, Session>();
  private readonly connections = new Set<WsConnection>();
  private counter = 0;
  url = '';

  constructor(
    private readonly expect: { token: string; applicationId: string; botUserId: string },
    private readonly opts: FakeGatewayOptions = {},
  ) {}

  get connected(): number {
    return [...this.sessions.values()].filter((s) => s.conn?.open).length;
  }

  upgrade(req: IncomingMessage, socket: Duplex): void {
    const query = new URL(req.url ?? '/', 'http://x').searchParams;
    if (this.refuseConnections) {
      socket.end('HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    let session: Session | undefined;
    const conn = acceptUpgrade(req, socket, (c, text) => {
      session = this.message(c, session, text);
    });
    if (!conn) return;
    this.connections.add(conn);
    socket.on('close', () => this.connections.delete(conn));
    // Only the JSON encoding, uncompressed, of API v10 is spoken here.
    if (query.get('v') !== '10' || query.get('encoding') !== 'json' || query.has('compress')) {
      conn.close(4012);
      return;
    }
    conn.send(JSON.stringify({ op: 10, d: { heartbeat_interval: this.opts.heartbeatMs ?? 41_250 }, s: null, t: null }));
  }

  /** Sends a dispatch to every ready session (kept for RESUME when a session is disconnected). */
  dispatch(t: string, d: unknown): void {
    for (const s of this.sessions.values()) {
      const event = { s: ++s.seq, t, d };
      s.events.push(event);
      if (s.conn?.open) s.conn.send(JSON.stringify({ op: 0, ...event }));
    }
  }

  /** Closes every connection with `code` (4000: unknown error, which a client resumes from). */
  drop(code = 4000): void {
    for (const c of this.connections) c.close(code);
  }

  closeAll(): void {
    this.drop(1001);
    this.connections.clear();
  }

  private message(conn: WsConnection, session: Session | undefined, text: string): Session | undefined {
    let p: { op?: unknown; d?: unknown };
    try {
      p = JSON.parse(text) as typeof p;
    } catch {
      conn.close(4002);
      return session;
    }
    const op = typeof p.op === 'number' ? p.op : -1;
    this.received.push(op === 2 || op === 6 ? { op, d: p.d } : { op });
    switch (op) {
      case 1:
        this.heartbeatAcks++;
        conn.send(JSON.stringify({ op: 11, d: null, s: null, t: null }));
        return session;
      case 2:
        return this.identify(conn, session, p.d as { token?: unknown; intents?: unknown; shard?: unknown });
      case 6:
        return this.resume(conn, session, p.d as { token?: unknown; session_id?: unknown; seq?: unknown });
      default:
        // Anything else before IDENTIFY or RESUME: Discord closes with 4003 (not authenticated).
        if (!session) conn.close(4003);
        return session;
    }
  }

  private identify(conn: WsConnection, session: Session | undefined, d: { token?: unknown; intents?: unknown; shard?: unknown }): Session | undefined {
    if (session) {
      conn.close(4005);
      return session;
    }
    if (d?.token !== this.expect.token || this.refuseIdentify) {
      conn.close(4004);
      return undefined;
    }
    if (typeof d.intents !== 'number') {
      conn.close(4013);
      return undefined;
    }
    this.identifies++;
    const s: Session = { id: `session-${++this.counter}`, events: [], seq: 0, conn };
    this.sessions.set(s.id, s);
    const ready = {
      v: 10,
      user: { id: this.expect.botUserId, username: 'chatops', discriminator: '0', global_name: null, avatar: null, bot: true },
      guilds: [],
      session_id: s.id,
      resume_gateway_url: this.url,
      shard: Array.isArray(d.shard) ? d.shard : [0, 1],
      application: { id: this.expect.applicationId, flags: 0 },
    };
    const event = { s: ++s.seq, t: 'READY', d: ready };
    s.events.push(event);
    conn.send(JSON.stringify({ op: 0, ...event }));
    return s;
  }

  private resume(conn: WsConnection, current: Session | undefined, d: { token?: unknown; session_id?: unknown; seq?: unknown }): Session | undefined {
    const s = typeof d?.session_id === 'string' ? this.sessions.get(d.session_id) : undefined;
    if (current || d?.token !== this.expect.token || !s) {
      // Invalid session, not resumable: the client identifies anew.
      conn.send(JSON.stringify({ op: 9, d: false, s: null, t: null }));
      return current;
    }
    this.resumes++;
    s.conn = conn;
    const after = typeof d.seq === 'number' ? d.seq : 0;
    for (const e of s.events) if (e.s > after) conn.send(JSON.stringify({ op: 0, ...e }));
    const event = { s: ++s.seq, t: 'RESUMED', d: {} };
    s.events.push(event);
    conn.send(JSON.stringify({ op: 0, ...event }));
    return s;
  }
}
