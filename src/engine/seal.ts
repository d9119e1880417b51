/**
 * Secret input values must reach workers in other processes, but must never sit in Redis in
 * clear. They travel sealed with AES-256-GCM under a key every process of a deployment shares:
 *   1. EngineOptions.secretKey, else
 *   2. $CHATOPS_SECRET_KEY (any string; hashed to 256 bits), else
 *   3. a random key kept in $XDG_CONFIG_HOME/chatops/secret-key (~/.config/…, mode 0600), created on
 *      first use: enough when fronts and workers share a machine (the dev setup).
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { EngineError } from './errors.js';

export interface Sealed {
  /** Values of secret inputs, by input name. */
  inputs: Record<string, string | number | boolean>;
  /**
   * The `secrets` context as runs started by older versions sealed it; still masked. Secrets are
   * now read by the worker when a step runs (engine/step-secrets.ts) and never stored.
   */
  secrets?: Record<string, string>;
  /** More values to mask that are not in a context (a parent run's secrets, for sub-workflows). */
  mask?: string[];
}

export function keyFile(): string {
  const base = process.env.XDG_CONFIG_HOME ?? join(homedir(), '.config');
  return join(base, 'chatops', 'secret-key');
}

export function resolveSecretKey(explicit?: string): Buffer {
  const text = explicit ?? process.env.CHATOPS_SECRET_KEY ?? readOrCreateKeyFile();
  return createHash('sha256').update(text).digest();
}

function readOrCreateKeyFile(): string {
  const file = keyFile();
  try {
    if (!existsSync(file)) {
      mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
      writeFileSync(file, randomBytes(32).toString('hex'), { mode: 0o600, flag: 'wx' });
      chmodSync(file, 0o600);
    }
    return readFileSync(file, 'utf8').trim();
  } catch (err) {
    // `wx` lost a race with another process creating the file: read theirs.
    if (existsSync(file)) return readFileSync(file, 'utf8').trim();
    throw new EngineError('SECRET_KEY', `cannot read or create the secret key file ${file}: ${(err as Error).message}. Set CHATOPS_SECRET_KEY to the same value in every front and worker.`);
  }
}

/**
 * What a run with nothing secret stores instead of a sealed blob: most runs have no secret, and
 * AES-GCM plus its random IV per start and per worker load was a large share of a run's Node CPU.
 * Not base64 with dots, so it can never be mistaken for a sealed value.
 */
export const NOTHING_SEALED = '-';

function isEmpty(value: Sealed): boolean {
  return Object.keys(value.inputs).length === 0 && Object.keys(value.secrets ?? {}).length === 0 && (value.mask === undefined || value.mask.length === 0);
}

export function seal(value: Sealed, key: Buffer): string {
  if (isEmpty(value)) return NOTHING_SEALED;
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const body = Buffer.concat([cipher.update(JSON.stringify(value), 'utf8'), cipher.final()]);
  return [iv, cipher.getAuthTag(), body].map((b) => b.toString('base64')).join('.');
}

export function unseal(text: string, key: Buffer): Sealed {
  if (text === NOTHING_SEALED) return { inputs: {}, mask: [] };
  const [iv, tag, body] = text.split('.').map((p) => Buffer.from(p, 'base64'));
  if (!iv || !tag || !body) throw new EngineError('SECRET_KEY', 'sealed secrets of this run are malformed');
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, iv);
    decipher.setAuthTag(tag);
    const clear = Buffer.concat([decipher.update(body), decipher.final()]).toString('utf8');
    return JSON.parse(clear) as Sealed;
  } catch {
    throw new EngineError('SECRET_KEY', 'cannot unseal this run\'s secrets: this process has a different secret key than the one that started the run. Set CHATOPS_SECRET_KEY to the same value in every front and worker.');
  }
}
