/**
 * A concurrency key's lock: its name in Redis (P:lock:NAME, P:lockq:NAME, P:locks) and the label
 * shown for it. The name is a function of the real key only, so two runs of one key always meet
 * whatever secrets each has (masking first made `deploy-checkout` `deploy-chec***out` for a run
 * with the secret `k`, and made every secret-only key `***`); it is an HMAC under the deployment's
 * secret key (seal.ts), not a bare hash, so a short secret inside a key cannot be guessed back from
 * Redis. Its label (RunMeta.lockLabel) is the key masked with the run's own secrets: the only form
 * ever shown (errors, queue views, run.queued events).
 */
import { createHmac } from 'node:crypto';

/** `h:` and the base64url HMAC-SHA256 of the real key (43 characters). */
export function lockName(secretKey: Buffer, key: string): string {
  // The fixed prefix keeps this use of the sealing key apart from any other.
  return `h:${createHmac('sha256', secretKey).update('concurrency-lock\0').update(key).digest('base64url')}`;
}
