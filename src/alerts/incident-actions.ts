/**
 * What people do to an incident from chat: acknowledge it (the message then says who handles it),
 * silence it in Alertmanager for a while (matchers from the group's common labels, its author the
 * person) and end that silence, and resolve it by hand where its source cannot (generic,
 * PagerDuty): a delivery of the group with every alert resolved, carrying who and why, goes
 * through the consumer like any other, so the incident record keeps its one writer.
 */
import type { Redis } from 'ioredis';
import type { IncidentActionResult } from '../chat/incident-desk.js';
import { formatClock, formatDuration } from '../chat/format-time.js';
import { AlertmanagerApi, matchersOf, matcherText } from './alertmanager-api.js';
import { recordDelivery } from './delivery-store.js';
import type { Incident } from './incident.js';
import { IncidentJournal } from './incident-journal.js';
import type { Notification } from './types.js';

export interface IncidentActionsOptions {
  redis: Redis;
  prefix: string;
  /** ALERTMANAGER_URL: silences are refused without it. */
  alertmanagerUrl?: string;
  fetch?: typeof fetch;
  now?: () => number;
  /** Called after a change the chat side shows (the incident reporter in this process looks at once). */
  onChange?: (incidentId: string) => void;
}

/** Sources that say themselves when an incident is over: resolving by hand would be undone by their next repeat. */
const SELF_RESOLVING = new Set(['alertmanager', 'grafana']);

const refused = (code: string, title: string, ...lines: string[]): IncidentActionResult => ({ ok: false, code, title, lines });

export class IncidentActions {
  readonly journal: IncidentJournal;
  private readonly now: () => number;

  constructor(private readonly opts: IncidentActionsOptions) {
    this.journal = new IncidentJournal(opts.redis, opts.prefix);
    this.now = opts.now ?? Date.now;
  }

  private async load(id: string): Promise<Incident | IncidentActionResult> {
    const inc = await this.journal.store.load(id);
    return inc ?? refused('E_UNKNOWN_INCIDENT', `no incident ${id}`, 'It may have expired, or the id is mistyped.');
  }

  async ack(id: string, by: string): Promise<IncidentActionResult> {
    const inc = await this.load(id);
    if ('ok' in inc) return inc;
    const human = await this.journal.human(id);
    if (human.ack?.by === by) return { ok: true, title: `${id} is already handled by you` };
    const at = this.now();
    await this.journal.append(id, [{ at, type: 'ack', by }], { render: true, now: at, set: { field: 'ack', value: { by, at } } });
    this.opts.onChange?.(id);
    return { ok: true, title: `${by} acknowledged ${id}: handled by ${by}${human.ack ? ` (was ${human.ack.by})` : ''}` };
  }

  async silence(id: string, by: string, durationMs: number): Promise<IncidentActionResult> {
    const inc = await this.load(id);
    if ('ok' in inc) return inc;
    if (inc.source !== 'alertmanager') return refused('E_NOT_SILENCEABLE', `${id} comes from ${inc.source}: only Alertmanager alerts can be silenced from here`, `Silence it in ${inc.source} itself.`);
    if (!this.opts.alertmanagerUrl) return refused('E_NO_ALERTMANAGER', 'silences need ALERTMANAGER_URL', "Set ALERTMANAGER_URL to Alertmanager's base URL (http://alertmanager:9093) where the bot runs.");
    const labels = inc.commonLabels;
    if (Object.keys(labels).length === 0) return refused('E_NOT_SILENCEABLE', `${id}'s alerts share no label, so no silence would cover only them`, 'Silence them in Alertmanager by hand.');
    const matchers = matchersOf(labels);
    const start = this.now();
    const endsAt = start + durationMs;
    const api = new AlertmanagerApi(this.opts.alertmanagerUrl, this.opts.fetch);
    let silenceId: string;
    try {
      silenceId = await api.createSilence({ matchers, startsAt: new Date(start).toISOString(), endsAt: new Date(endsAt).toISOString(), createdBy: by, comment: `chatops: incident ${id} (${inc.title}), silenced from chat by ${by}` });
    } catch (err) {
      return refused('E_ALERTMANAGER', `${id} was not silenced`, (err as Error).message);
    }
    const m = matchers.map(matcherText);
    await this.journal.append(id, [{ at: start, type: 'silence', by, silenceId, endsAt, matchers: m }], { render: true, now: start, set: { field: 'silence', value: { id: silenceId, by, endsAt } } });
    this.opts.onChange?.(id);
    return { ok: true, title: `${by} silenced ${id} for ${formatDuration(durationMs)}, until ${formatClock(endsAt)}`, lines: [`silence ${silenceId}: ${m.join(', ')}`, '`unsilence` in the thread ends it.'] };
  }

  async unsilence(id: string, by: string): Promise<IncidentActionResult> {
    const inc = await this.load(id);
    if ('ok' in inc) return inc;
    const { silence } = await this.journal.human(id);
    if (!silence) return refused('E_NOT_SILENCED', `${id} is not silenced from here`);
    if (!this.opts.alertmanagerUrl) return refused('E_NO_ALERTMANAGER', 'silences need ALERTMANAGER_URL');
    try {
      if (silence.endsAt > this.now()) await new AlertmanagerApi(this.opts.alertmanagerUrl, this.opts.fetch).expireSilence(silence.id);
    } catch (err) {
      return refused('E_ALERTMANAGER', `silence ${silence.id} was not ended`, (err as Error).message);
    }
    const at = this.now();
    await this.journal.append(id, [{ at, type: 'unsilence', by, silenceId: silence.id }], { render: true, now: at, set: { field: 'silence', value: undefined } });
    this.opts.onChange?.(id);
    return { ok: true, title: `${by} ended silence ${silence.id} of ${id}` };
  }

  async resolve(id: string, by: string, why: string): Promise<IncidentActionResult> {
    const inc = await this.load(id);
    if ('ok' in inc) return inc;
    if (inc.status === 'resolved') return refused('E_ALREADY_RESOLVED', `${id} is resolved already`);
    if (SELF_RESOLVING.has(inc.source)) return refused('E_SOURCE_RESOLVES', `${inc.source} resolves ${id} itself once its alerts stop firing`, 'Resolving it here would be undone by its next notification; `silence 1h` quiets it meanwhile.');
    if (inc.source === 'storm') return refused('E_SOURCE_RESOLVES', `${id} is the alert storm incident: its groups resolve one by one`);
    if (!why.trim()) return refused('E_USAGE', 'resolve: say why (`resolve the disk was cleaned up`)');
    const now = this.now();
    const endsAt = new Date(now).toISOString();
    const alerts = Object.values(inc.alerts).map(({ firstSeen: _f, changedAt: _c, ...a }) => ({ ...a, status: 'resolved' as const, ...(a.status === 'firing' ? { endsAt } : {}) }));
    const n: Notification = { source: inc.source, groupKey: inc.groupKey, status: 'resolved', alerts, commonLabels: inc.commonLabels, commonAnnotations: {}, links: [], truncated: 0 };
    await recordDelivery(this.opts.redis, this.journal.store.keys, n, now, { by, why });
    return { ok: true, title: `${by} resolved ${id} by hand: ${why}` };
  }
}
