/** Plays Discord's side of HTTP interactions in tests: an Ed25519 key pair, signed POSTs to /discord/interactions. */
import { generateKeyPairSync, sign } from 'node:crypto';

export class DiscordSender {
  private readonly keys = generateKeyPairSync('ed25519');
  constructor(public url: string) {}

  /** The public key as DISCORD_PUBLIC_KEY holds it: 64 hex characters. */
  get publicKeyHex(): string {
    const jwk = this.keys.publicKey.export({ format: 'jwk' });
    return Buffer.from(jwk.x ?? '', 'base64url').toString('hex');
  }

  signature(timestamp: string, body: string, key = this.keys.privateKey): string {
    return sign(null, Buffer.from(timestamp + body), key).toString('hex');
  }

  async send(body: string, opts: { timestampSec?: number; signature?: string | null; otherKey?: boolean } = {}): Promise<{ status: number; body: unknown }> {
    const ts = String(opts.timestampSec ?? Math.floor(Date.now() / 1000));
    const headers: Record<string, string> = { 'content-type': 'application/json', 'x-signature-timestamp': ts };
    const sig = opts.signature === undefined ? this.signature(ts, body, opts.otherKey ? generateKeyPairSync('ed25519').privateKey : undefined) : opts.signature;
    if (sig !== null) headers['x-signature-ed25519'] = sig;
    const res = await fetch(this.url, { method: 'POST', headers, body });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // not JSON: keep the text
    }
    return { status: res.status, body: parsed };
  }
}
