/**
 * Slack request signatures (v0 HMAC-SHA256 over `v0:timestamp:body` with the signing secret).
 * The timestamp window is checked here in both directions (Bolt's check only refuses the past),
 * then Bolt's verifySlackRequest checks the signature in constant time.
 */
import { verifySlackRequest } from '@slack/bolt';
import { checkSignedHeaders, type SignatureProblem } from '../../server/signed-timestamp.js';

export type { SignatureProblem };

export function checkSlackSignature(opts: {
  signingSecret: string;
  body: string;
  signature: string | string[] | undefined;
  timestamp: string | string[] | undefined;
  nowMs: number;
}): SignatureProblem | undefined {
  const headers = checkSignedHeaders(opts.signature, opts.timestamp, opts.nowMs);
  if ('problem' in headers) return headers.problem;
  try {
    verifySlackRequest({ signingSecret: opts.signingSecret, body: opts.body, headers: { 'x-slack-signature': headers.signature, 'x-slack-request-timestamp': Number(headers.timestamp) }, nowMilliseconds: opts.nowMs });
    return undefined;
  } catch {
    return 'invalid_signature';
  }
}
