/**
 * The audit trail in Redis: one stream entry per refused command, started run, cancel and approval
 * decision (who, where, what). Stream key `<prefix>:audit`, trimmed approximately to the last
 * 100,000 entries so it never grows without bound.
 */
import type { Redis } from 'ioredis';
import { personOf, type Policy } from '../config/policy.js';

export interface AuditEntry {
  type: 'denied' | 'started' | 'cancelled' | 'decided';
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
  detail?: string;
}

export interface AuditLog {
  record(entry: AuditEntry): Promise<void>;
}

export const AUDIT_MAXLEN = 100_000;

export function auditKey(prefix: string): string {
  return `${prefix}:audit`;
}

/** `policy` names people, so each entry says which person acted, whatever account they used. */
export function createAuditLog(redis: Redis, prefix: string, policy?: Policy): AuditLog {
  return {
    async record(entry) {
      const fields: string[] = ['at', String(Date.now())];
      const full: AuditEntry = { ...entry, person: entry.person ?? personOf(policy, entry.who) };
      for (const [k, v] of Object.entries(full)) if (v !== undefined) fields.push(k, String(v));
      await redis.xadd(auditKey(prefix), 'MAXLEN', '~', String(AUDIT_MAXLEN), '*', ...fields);
    },
  };
}
