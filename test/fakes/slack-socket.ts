/**
 * Socket Mode side of the fake Slack: a WebSocket server (ws-connection.ts) on the fake's HTTP
 * server, enough for the SDK's undici WebSocket. It greets each
 * connection with `hello` like Slack, sends envelopes (slash_commands, interactive, events_api) and
 * resolves when the app acknowledges one with the same envelope_id.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { acceptUpgrade, type WsConnection } from './ws-connection.js';

export interface SocketAck {
  envelopeId: string;
  payload?: unknown;
  ackMs: number;
}

export class FakeSocketMode {
  private readonly connections = new Set<WsConnection>();
  private readonly waiting = new Map<string, { sentAt: number; resolve: (ack: SocketAck) => void }>();

  get connected(): number {
    return [...this.connections].filter((c) => c.open).length;
  }

  /** Handles an HTTP upgrade to the Socket Mode URL. */
  upgrade(req: IncomingMessage, socket: Duplex): void {
    const conn = acceptUpgrade(req, socket, (_conn, text) => this.received(text));
    if (!conn) return;
    this.connections.add(conn);
    socket.on('close', () => this.connections.delete(conn));
    conn.send(JSON.stringify({ type: 'hello', num_connections: this.connections.size, debug_info: { host: 'fake' }, connection_info: { app_id: 'A0FAKE' } }));
  }

  /** Sends an envelope to one connected app and resolves with its ack. */
  send(type: 'slash_commands' | 'interactive' | 'events_api', payload: unknown, timeoutMs = 5_000): Promise<SocketAck> {
    const conn = [...this.connections].find((c) => c.open);
    if (!conn) return Promise.reject(new Error('fake Slack: no Socket Mode connection'));
    const envelopeId = randomUUID();
    return new Promise<SocketAck>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(envelopeId);
        reject(new Error(`fake Slack: envelope ${type} not acknowledged within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiting.set(envelopeId, {
        sentAt: performance.now(),
        resolve: (ack) => {
          clearTimeout(timer);
          resolve(ack);
        },
      });
      conn.send(JSON.stringify({ envelope_id: envelopeId, type, payload, accepts_response_payload: type !== 'events_api', retry_attempt: 0, retry_reason: '' }));
    });
  }

  closeAll(): void {
    for (const c of this.connections) c.close();
    this.connections.clear();
  }

  private received(text: string): void {
    let msg: { envelope_id?: unknown; payload?: unknown };
    try {
      msg = JSON.parse(text) as typeof msg;
    } catch {
      return;
    }
    if (typeof msg.envelope_id !== 'string') return;
    const w = this.waiting.get(msg.envelope_id);
    if (!w) return;
    this.waiting.delete(msg.envelope_id);
    w.resolve({ envelopeId: msg.envelope_id, payload: msg.payload, ackMs: performance.now() - w.sentAt });
  }
}
