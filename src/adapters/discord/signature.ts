/**
 * Discord signs each HTTP interaction with Ed25519 over `X-Signature-Timestamp` + the raw body,
 * with the application's key pair; DISCORD_PUBLIC_KEY holds the public half as hex. Checked with
 * Node's crypto (no extra dependency), before anything is parsed. The timestamp must be within 5
 * minutes of now in either direction, so a captured request cannot be replayed later.
 */
import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import { checkSignedHeaders, type SignatureProblem } from '../../server/signed-timestamp.js';

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
  const headers = checkSignedHeaders(opts.signature, opts.timestamp, opts.nowMs);
  if ('problem' in headers) return headers.problem;
  const { signature, timestamp } = headers;
  if (!/^[0-9a-fA-F]{128}$/.test(signature)) return 'invalid_signature';
  const signed = Buffer.concat([Buffer.from(timestamp, 'utf8'), opts.body]);
  return verify(null, signed, opts.publicKey, Buffer.from(signature, 'hex')) ? undefined : 'invalid_signature';
}
