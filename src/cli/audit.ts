/**
 * `chatops audit [--since DURATION] [--who ID] [--json]`: who started, approved, denied, cancelled,
 * acknowledged, silenced, unsilenced or resolved what, or was refused, when and where, from the audit stream (chat/audit.ts), oldest first. A table
 * for people, or one JSON object per line for a SIEM. `--who` takes an identity (`slack:U123`) or
 * the id alone (`U123`), or a person named in policy.yaml's people:.
 */
import { readAudit, type AuditRecord } from '../chat/audit.js';
import { parseDuration } from '../workflow/duration.js';
import { EXIT } from './exit-codes.js';
import { withEngine } from './with-engine.js';

export interface AuditOptions {
  since: string;
  who?: string;
  json?: boolean;
}

/** What happened, in a word: a decision says which, a refusal says so. */
export function actionOf(r: AuditRecord): string {
  if (r.type === 'decided') return `${r.command === 'deny' ? 'denied' : 'approved'}${r.detail && r.detail !== 'counted' ? ' (not counted)' : ''}`;
  if (r.type === 'denied') return 'refused';
  return r.type;
}

/** Chat text printed to a terminal: control characters (escape sequences, newlines) become visible and harmless. */
function printable(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

export function auditJsonLine(r: AuditRecord): string {
  return JSON.stringify({ at: new Date(r.at).toISOString(), id: r.id, action: actionOf(r), type: r.type, who: r.who, person: r.person, platform: r.platform, channel: r.channel, command: r.command, runId: r.runId, incidentId: r.incidentId, text: r.text, detail: r.detail });
}

export function auditTable(records: AuditRecord[]): string[] {
  const head = ['TIME (UTC)', 'WHO', 'ACTION', 'WHERE', 'RUN/INCIDENT', 'WHAT'];
  const rows = records.map((r) => [
    new Date(r.at).toISOString().replace('T', ' ').slice(0, 19),
    r.person !== undefined ? `${r.person} (${r.who})` : r.who,
    actionOf(r),
    `${r.platform}:${r.channel}`,
    r.runId ?? r.incidentId ?? '-',
    [r.text ?? r.command, r.detail && r.detail !== 'counted' ? `(${r.detail})` : ''].filter(Boolean).join(' '),
  ].map(printable));
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]?.length ?? 0)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ');
  return [line(head), ...rows.map(line)];
}

export async function auditCommand(opts: AuditOptions): Promise<number> {
  const sinceMs = parseDuration(opts.since);
  if (sinceMs === undefined || sinceMs <= 0) {
    console.error(`chatops audit: --since expects a duration such as 30m, 24h or 7d, got "${opts.since}"`);
    return EXIT.usage;
  }
  if (opts.who !== undefined && opts.who.trim() === '') {
    console.error('chatops audit: --who expects an identity such as slack:U123 (or U123)');
    return EXIT.usage;
  }
  return withEngine('audit', async (opened) => {
    const records = readAudit(opened.engine.redis, opened.env.CHATOPS_PREFIX, { sinceMs: Date.now() - sinceMs, who: opts.who });
    if (opts.json) {
      for await (const r of records) process.stdout.write(`${auditJsonLine(r)}\n`);
      return EXIT.ok;
    }
    const all: AuditRecord[] = [];
    for await (const r of records) all.push(r);
    if (all.length === 0) console.error(`chatops audit: nothing recorded in the last ${opts.since}${opts.who ? ` by ${opts.who}` : ''}`);
    else console.log(auditTable(all).join('\n'));
    return EXIT.ok;
  });
}
