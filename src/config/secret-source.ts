/**
 * Where `${{ secrets.NAME }}` comes from. Read by the worker that runs a step, at that moment, and
 * never written to Redis:
 *   1. the environment variable CHATOPS_SECRET_<NAME> (NAME in upper case), else
 *   2. the file NAME in $CHATOPS_SECRETS_DIR, one file per secret as Kubernetes mounts a Secret
 *      (matched ignoring case; trailing newlines trimmed; dot files such as `..data` ignored).
 * Names are letters, digits and `_`, not starting with a digit, and case-insensitive, as in GitHub
 * Actions. An empty value counts as not set: an http call must never go out with an empty token.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

export const SECRET_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** CHATOPS_SECRET_KEY is the deployment's sealing key (engine/seal.ts), never a workflow's secret. */
export const RESERVED_SECRET_NAMES: readonly string[] = ['KEY'];
export const SECRET_ENV_PREFIX = 'CHATOPS_SECRET_';
/** A secret file larger than this is refused (a mount of the wrong thing, not a token). */
export const MAX_SECRET_FILE_BYTES = 1024 * 1024;
/** How long the list of every secret (for masking) is reused before the source is read again. */
const ALL_TTL_MS = 5_000;

export interface SecretSource {
  /** The value of one secret; undefined when it is not set or empty. */
  get(name: string): string | undefined;
  /** Every secret value this source holds, so all of them are masked in every run. */
  all(): string[];
  /** Why a secret is missing and how to set it, for the step's error (names no other secret). */
  explainMissing(name: string): string;
}

export function secretEnvName(name: string): string {
  return `${SECRET_ENV_PREFIX}${name.toUpperCase()}`;
}

function trimNewlines(text: string): string {
  return text.replace(/(?:\r?\n)+$/, '');
}

/** The environment and a mounted folder, as described at the top of this file. */
export class EnvSecretSource implements SecretSource {
  private cached: { at: number; values: string[] } | undefined;

  constructor(
    private readonly env: NodeJS.ProcessEnv = process.env,
    private readonly dir: string | undefined = env.CHATOPS_SECRETS_DIR || undefined,
    private readonly now: () => number = Date.now,
  ) {}

  get(name: string): string | undefined {
    if (!SECRET_NAME_PATTERN.test(name) || RESERVED_SECRET_NAMES.includes(name.toUpperCase())) return undefined;
    const fromEnv = this.env[secretEnvName(name)];
    if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
    const file = this.fileOf(name);
    if (file === undefined) return undefined;
    const value = this.readFile(file);
    return value === '' ? undefined : value;
  }

  all(): string[] {
    const now = this.now();
    if (this.cached !== undefined && now - this.cached.at < ALL_TTL_MS) return this.cached.values;
    const values: string[] = [];
    for (const [key, value] of Object.entries(this.env)) {
      // The sealing key too: it is a secret, whatever reads it.
      if (key.startsWith(SECRET_ENV_PREFIX) && value !== undefined && value !== '') values.push(value);
    }
    for (const name of this.fileNames()) {
      const value = this.readFile(join(this.dir ?? '', name));
      if (value !== undefined && value !== '') values.push(value);
    }
    this.cached = { at: now, values };
    return values;
  }

  explainMissing(name: string): string {
    const upper = name.toUpperCase();
    if (RESERVED_SECRET_NAMES.includes(upper)) return `secret \`${name}\` cannot be read by a workflow: ${secretEnvName(name)} is the bot's own sealing key`;
    const where = [`set ${secretEnvName(name)}`];
    if (this.dir === undefined) where.push(`or put a file ${name} in a folder named by CHATOPS_SECRETS_DIR`);
    else if (!this.dirExists()) where.push(`or create CHATOPS_SECRETS_DIR (${this.dir}, which does not exist) with a file ${name}`);
    else where.push(`or put a file ${name} in ${this.dir}`);
    const file = this.fileOf(name);
    const why = file !== undefined ? ` (${file} is empty, unreadable, not a file or larger than ${MAX_SECRET_FILE_BYTES} bytes)` : this.env[secretEnvName(name)] === '' ? ` (${secretEnvName(name)} is empty)` : '';
    return `secret \`${name}\` is not set${why}: ${where.join(' ')} on the worker`;
  }

  private dirExists(): boolean {
    try {
      return this.dir !== undefined && statSync(this.dir).isDirectory();
    } catch {
      return false;
    }
  }

  private fileNames(): string[] {
    if (this.dir === undefined) return [];
    try {
      return readdirSync(this.dir).filter((n) => !n.startsWith('.') && SECRET_NAME_PATTERN.test(n));
    } catch {
      return [];
    }
  }

  /** The file holding a secret: its exact name, else the one name that matches ignoring case. */
  private fileOf(name: string): string | undefined {
    if (this.dir === undefined) return undefined;
    const names = this.fileNames();
    const exact = names.find((n) => n === name) ?? names.find((n) => n.toUpperCase() === name.toUpperCase());
    return exact === undefined ? undefined : join(this.dir, exact);
  }

  /** A secret file's text (newlines trimmed); undefined when it is not a readable regular file up to the size limit. */
  private readFile(path: string): string | undefined {
    try {
      const info = statSync(path); // follows Kubernetes' symlinks into ..data
      if (!info.isFile() || info.size > MAX_SECRET_FILE_BYTES) return undefined;
      return trimNewlines(readFileSync(path, 'utf8'));
    } catch {
      return undefined;
    }
  }
}
