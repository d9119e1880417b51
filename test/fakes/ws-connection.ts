/**
 * A minimal WebSocket server side for the fakes (RFC 6455: text frames, ping/pong and close
 * frames with a code), enough for the SDKs' clients (undici's WebSocket, the `ws` package): the
 * upgrade handshake on a fake's HTTP server, then text in and out.
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

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

export class WsConnection {
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

  /** Closes with `code` (1000 normal; Discord's Gateway uses 4000-4014 for its reasons). */
  close(code = 1000): void {
    if (!this.open) return;
    this.open = false;
    const payload = Buffer.alloc(2);
    payload.writeUInt16BE(code, 0);
    this.socket.end(frame(0x8, payload));
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
      else if (opcode === 0x8) this.close(data.length >= 2 ? data.readUInt16BE(0) : 1000);
    }
  }
}

/** Completes an HTTP upgrade to WebSocket; undefined (after a 400) when the request is not one. */
export function acceptUpgrade(req: IncomingMessage, socket: Duplex, onText: (conn: WsConnection, text: string) => void): WsConnection | undefined {
  const key = req.headers['sec-websocket-key'];
  if (typeof key !== 'string') {
    socket.end('HTTP/1.1 400 Bad Request\r\n\r\n');
    return undefined;
  }
  const accept = createHash('sha1').update(key + GUID).digest('base64');
  socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
  const conn: WsConnection = new WsConnection(socket, (text) => onText(conn, text));
  return conn;
}
