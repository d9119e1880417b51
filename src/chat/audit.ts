/**
 * The audit trail in Redis: one stream entry per refused command, started run, cancel, approval
 * decision, and incident acknowledged, silenced, unsilenced or resolved by hand (who, where, what). Stream key `<prefix>:audit`. Kept like runs: entries older than the
 * retention (CHATOPS_RETENTION, default 30 days) are trimmed as new ones are written, and never
 * more than the last 100,000, so it cannot grow without bound. `chatops audit` reads it.
 */
import type { Redis } from 'ioredis';
import { personOf, type Policy } from '../config/policy.js';
import { current, type Live } from '../lib/live.js';
import { DEFAULT_RETENTION_MS } from '../engine/index.js';

export const AUDIT_TYPES = ['denied', 'started', 'cancelled', 'decided', 'acknowledged', 'silenced', 'unsilenced', 'resolved'] as const;
export type AuditType = (typeof AUDIT_TYPES)[number];

export interface AuditEntry {
  type: AuditType;
  /** The account that acted (`slack:U1`). */
  who: string;
  /** The person that account belongs to (policy's people:); filled in by the log when policy names one. */
  person?: string;
  platform: string;
  channel: string;
  /** The command or built-in. */
  command: string;
  /** The line as typed (already free of secrets: chat lines never carry secret inputs by policy). */
  text?: string;
  runId?: string;
  incidentId?: string;
  detail?: string;
}

/** An entry as read back: its stream id and when it was written (ms). */
export interface AuditRecord extends AuditEntry {
  id: string;
  at: number;
}

export interface AuditLog {
  record(entry: AuditEntry): Promise<void>;
}

export const AUDIT_MAXLEN = 100_000;

export function auditKey(prefix: string): string {
  return `${prefix}:audit`;
}

/**
 * `policy` names people, so each entry says which person acted, whatever account they used;
 * `retentionMs` is how long entries are kept (CHATOPS_RETENTION).
 */
export function createAuditLog(redis: Redis, prefix: string, policy?: Live<Policy | undefined>, opts: { retentionMs?: number } = {}): AuditLog {
  const retentionMs = opts.retentionMs ?? DEFAULT_RETENTION_MS;
  return {
    async record(entry) {
      const now = Date.now();
      const fields: string[] = ['at', String(now)];
      const full: AuditEntry = { ...entry, person: entry.person ?? personOf(current(policy), entry.who) };
      for (const [k, v] of Object.entries(full)) if (v !== undefined) fields.push(k, String(v));
      // Stream ids start with their time in ms: MINID drops what is older than the retention.
      await redis
        .multi()
        .xadd(auditKey(prefix), 'MAXLEN', '~', String(AUDIT_MAXLEN), '*', ...fields)
        .xtrim(auditKey(prefix), 'MINID', '~', String(now - retentionMs))
        .exec();
    },
  };
}

function toRecord(id: string, flat: string[]): AuditRecord | undefined {
  const f: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) f[flat[i] ?? ''] = flat[i + 1] ?? '';
  if (!(AUDIT_TYPES as readonly string[]).includes(f.type ?? '')) return undefined;
  return {
    id,
    at: Number(f.at ?? id.split('-')[0]),
    type: f.type as AuditEntry['type'],
    who: f.who ?? '',
    platform: f.platform ?? '',
    channel: f.channel ?? '',
    command: f.command ?? '',
    text: f.text,
    person: f.person,
    runId: f.runId,
    incidentId: f.incidentId,
    detail: f.detail,
  };
}

/** Whether `who` names this entry's actor: its account in full (`slack:U123`) or without its platform (`U123`), or its person (policy's people:). */
export function isWho(rec: Pick<AuditEntry, 'who' | 'person'>, who: string): boolean {
  return rec.who === who || rec.who.endsWith(`:${who}`) || (rec.person !== undefined && rec.person === who);
}

/** The audit entries written since `sinceMs` (oldest first), optionally of one person; read a page at a time. */
export async function* readAudit(redis: Redis, prefix: string, opts: { sinceMs: number; who?: string; pageSize?: number }): AsyncGenerator<AuditRecord> {
  let start = String(Math.max(0, opts.sinceMs));
  const page = opts.pageSize ?? 1000;
  for (;;) {
    const batch = await redis.xrange(auditKey(prefix), start, '+', 'COUNT', page);
    for (const [id, flat] of batch) {
      const rec = toRecord(id, flat);
      if (rec && (opts.who === undefined || isWho(rec, opts.who))) yield rec;
    }
    if (batch.length < page) return;
    start = `(${batch[batch.length - 1]?.[0] ?? ''}`;
  }
}
