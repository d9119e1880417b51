/**
 * Steering a run from a terminal (`chatops run`, `approve`, `deny`, `cancel`) leaves the same audit
 * entries as doing it in chat (src/chat/audit.ts), so `chatops audit` shows both. Platform `cli`,
 * channel the machine's host name, `who` the terminal identity (`shell:USER`, or what `--as` named:
 * then the OS user is kept in the entry's text, since `--as` is a claim, not a login).
 */
import { hostname, userInfo } from 'node:os';
import { createAuditLog, type AuditEntry } from '../chat/audit.js';
import type { Opened } from '../engine/bootstrap.js';

/** `line`: the command as typed, free of secret values; `as`: set when `--as` named who acts. */
export type TerminalAudit = Pick<AuditEntry, 'type' | 'who' | 'command' | 'runId' | 'detail'> & { line: string; as?: string };

function osUser(): string {
  try {
    return userInfo().username;
  } catch {
    return process.env.USER ?? 'unknown';
  }
}

/** Writes one entry; a failure is said on stderr and does not change the command's outcome (the change was made). */
export async function auditTerminal(opened: Pick<Opened, 'engine' | 'env' | 'project'>, entry: TerminalAudit): Promise<void> {
  const { line, as, ...rest } = entry;
  const text = as !== undefined ? `${line} (--as, OS user ${osUser()})` : line;
  try {
    await createAuditLog(opened.engine.redis, opened.env.CHATOPS_PREFIX, opened.project.policy, { retentionMs: opened.env.CHATOPS_RETENTION }).record({ ...rest, platform: 'cli', channel: hostname(), text });
  } catch (err) {
    console.error(`chatops ${entry.command}: warning: could not write the audit entry: ${err instanceof Error ? err.message : String(err)}`);
  }
}
