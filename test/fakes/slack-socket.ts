/**
 * Socket Mode side of the fake Slack: a minimal WebSocket server (RFC 6455 text, ping/pong and
 * close frames, enough for the SDK's undici WebSocket) on the fake's HTTP server. It greets each
 * connection with `hello` like Slack, sends envelopes (slash_commands, interactive, events_api) and
 * resolves when the app acknowledges one with the same envelope_id.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

export interface SocketAck {
  envelopeId: string;
  payload?: unknown;
  ackMs: number;
}

function frame(opcode: number, data: Buffer): Buffer {
  const len = data.length;
  let head: Buffer;
  if (len < 126) head = Buffer.from([0x80 | opcode, len]);
  else if (len < 65536) {
    head = Buffer.alloc(4);
    head[0] = 0x80 | opcode;
    head[1] = 126;
    head.writeUInt16BE(len, 2);
  } else {
    head = Buffer.alloc(10);
    head[0] = 0x80 | opcode;
    head[1] = 127;
    head.writeBigUInt64BE(BigInt(len), 2);
  }
  return Buffer.concat([head, data]);
}

class Connection {
  private buffer = Buffer.alloc(0);
  open = true;

  constructor(
    private readonly socket: Duplex,
    private readonly onText: (text: string) => void,
  ) {
    socket.on('data', (chunk: Buffer) => this.read(chunk));
    socket.on('close', () => {
      this.open = false;
    });
    socket.on('error', () => {
      this.open = false;
    });
  }

  send(text: string): void {
    if (this.open) this.socket.write(frame(0x1, Buffer.from(text)));
  }

  close(): void {
    if (!this.open) return;
    this.open = false;
    this.socket.end(frame(0x8, Buffer.from([0x03, 0xe8])));
  }

  private read(chunk: Buffer): void {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    for (;;) {
      if (this.buffer.length < 2) return;
      const b0 = this.buffer[0] ?? 0;
      const b1 = this.buffer[1] ?? 0;
      const opcode = b0 & 0x0f;
      const masked = (b1 & 0x80) !== 0;
      let len = b1 & 0x7f;
      let offset = 2;
      if (len === 126) {
        if (this.buffer.length < 4) return;
        len = this.buffer.readUInt16BE(2);
        offset = 4;
      } else if (len === 127) {
        if (this.buffer.length < 10) return;
        len = Number(this.buffer.readBigUInt64BE(2));
        offset = 10;
      }
      const maskLen = masked ? 4 : 0;
      if (this.buffer.length < offset + maskLen + len) return;
      const mask = this.buffer.subarray(offset, offset + maskLen);
      const data = Buffer.from(this.buffer.subarray(offset + maskLen, offset + maskLen + len));
      if (masked) for (let i = 0; i < data.length; i++) data[i] = (data[i] ?? 0) ^ (mask[i % 4] ?? 0);
      this.buffer = this.buffer.subarray(offset + maskLen + len);
      if (opcode === 0x1) this.onText(data.toString('utf8'));
      else if (opcode === 0x9) this.socket.write(frame(0xa, data));
      else if (opcode === 0x8) this.close();
    }
  }
}

export class FakeSocketMode {
  private readonly connections = new Set<Connection>();
  private readonly waiting = new Map<string, { sentAt: number; resolve: (ack: SocketAck) => void }>();

  get connected(): number {
    return [...this.connections].filter((c) => c.open).length;
  }

  /** Handles an HTTP upgrade to the Socket Mode URL. */
  upgrade(req: IncomingMessage, socket: Duplex): void {
    const key = req.headers['sec-websocket-key'];
    if (typeof key !== 'string') {
      socket.end('HTTP/1.1 400 Bad Request\r\n\r\n');
      return;
    }
    const accept = createHash('sha1').update(key + GUID).digest('base64');
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
    const conn = new Connection(socket, (text) => this.received(text));
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
