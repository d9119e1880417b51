/**
 * Discord signs each HTTP interaction with Ed25519 over `X-Signature-Timestamp` + the raw body,
 * with the application's key pair; DISCORD_PUBLIC_KEY holds the public half as hex. Checked with
 * Node's crypto (no extra dependency), before anything is parsed. The timestamp must be within 5
 * minutes of now in either direction, so a captured request cannot be replayed later.
 */
import { createPublicKey, verify, type KeyObject } from 'node:crypto';

export const MAX_SKEW_SECONDS = 5 * 60;

export type SignatureProblem = 'missing_headers' | 'stale_timestamp' | 'invalid_signature';

/** DER prefix of an Ed25519 SubjectPublicKeyInfo; the 32 raw key bytes follow it. */
const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

export function ed25519PublicKey(hex: string): KeyObject {
  return createPublicKey({ key: Buffer.concat([ED25519_SPKI_PREFIX, Buffer.from(hex, 'hex')]), format: 'der', type: 'spki' });
}

export function checkDiscordSignature(opts: {
  publicKey: KeyObject;
  body: Buffer;
  signature: string | string[] | undefined;
  timestamp: string | string[] | undefined;
  nowMs: number;
}): SignatureProblem | undefined {
  const { signature, timestamp } = opts;
  if (typeof signature !== 'string' || typeof timestamp !== 'string' || !/^\d{1,12}$/.test(timestamp)) return 'missing_headers';
  if (Math.abs(Math.floor(opts.nowMs / 1000) - Number(timestamp)) > MAX_SKEW_SECONDS) return 'stale_timestamp';
  if (!/^[0-9a-fA-F]{128}$/.test(signature)) return 'invalid_signature';
  const signed = Buffer.concat([Buffer.from(timestamp, 'utf8'), opts.body]);
  return verify(null, signed, opts.publicKey, Buffer.from(signature, 'hex')) ? undefined : 'invalid_signature';
}
