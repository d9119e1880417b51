/**
 * The audit trail in Redis: one stream entry per refused command, started run, cancel and approval
 * decision (who, where, what). Stream key `<prefix>:audit`, trimmed approximately to the last
 * 100,000 entries so it never grows without bound.
 */
import type { Redis } from 'ioredis';

export interface AuditEntry {
  type: 'denied' | 'started' | 'cancelled' | 'decided';
  who: string;
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

export function createAuditLog(redis: Redis, prefix: string): AuditLog {
  return {
    async record(entry) {
      const fields: string[] = ['at', String(Date.now())];
      for (const [k, v] of Object.entries(entry)) if (v !== undefined) fields.push(k, String(v));
      await redis.xadd(auditKey(prefix), 'MAXLEN', '~', String(AUDIT_MAXLEN), '*', ...fields);
    },
  };
}
