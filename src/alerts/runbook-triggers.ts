/**
 * Which runbooks an incident change asks for, pure: each workflow's `on.alert` (FORMATS.md
 * "Alerts") compiled once, then matched against the alerts a delivery changed. Scope `alert`
 * plans a run per alert that fired (or resolved); scope `incident` one per firing episode of the
 * incident (marked on the incident record, which is committed with the delivery) or one when the
 * whole incident resolved. Starting, cooldowns and delays are runbook-starter.ts's.
 */
import { parseDuration } from '../workflow/duration.js';
import { ExpressionError, interpolate } from '../workflow/expressions.js';
import type { AlertTrigger, Workflow } from '../workflow/schema.js';
import type { Applied } from './diff.js';
import type { Incident, IncidentAlert } from './incident.js';
import { compileMatchers, matches, type Matcher } from './matchers.js';
import type { AlertSource, AlertStatus } from './types.js';

export interface AlertRunbook {
  workflow: string;
  matchers: Matcher[];
  sources?: readonly AlertSource[];
  status: AlertTrigger['status'];
  scope: AlertTrigger['scope'];
  delay?: string;
  delayMs?: number;
  cooldown?: string;
  cooldownMs?: number;
  inputs: Record<string, string | number | boolean>;
}

/**
 * The runbooks of the loaded workflows with `on.alert`: those alerts start (`start: auto`, the
 * default), or those an incident offers as a button that a person clicks (`start: manual`).
 */
export function compileRunbooks(workflows: Iterable<Workflow>, start: AlertTrigger['start'] = 'auto'): AlertRunbook[] {
  const out: AlertRunbook[] = [];
  for (const wf of workflows) {
    const t = wf.on?.alert;
    if (!t || t.start !== start) continue;
    let matchers: Matcher[];
    try {
      matchers = compileMatchers(t.matchers, t.match);
    } catch {
      continue; // the validator reported it and left the workflow out; a hand-built project may not have
    }
    if (matchers.length === 0) continue;
    out.push({
      workflow: wf.name,
      matchers,
      ...(t.sources ? { sources: t.sources } : {}),
      status: t.status,
      scope: t.scope,
      ...(t.delay !== undefined ? { delay: t.delay, delayMs: parseDuration(t.delay) } : {}),
      ...(t.cooldown !== undefined ? { cooldown: t.cooldown, cooldownMs: parseDuration(t.cooldown) } : {}),
      inputs: t.inputs ?? {},
    });
  }
  return out;
}

/** One run an incident change asks for. */
export interface PlannedRun {
  runbook: AlertRunbook;
  /** The alert that asks for it (scope incident: the first matching one). */
  alert: IncidentAlert;
  /** What the status change was. */
  status: AlertStatus;
  /** Cooldown and idempotency identity: the alert's fingerprint, or the incident id for scope incident. */
  subject: string;
}

/** The firing episode of an incident: a reopen is a new episode, so an incident-scope runbook runs again. */
function episode(inc: Incident): string {
  return `${inc.openedAt}:${inc.reopened}`;
}

/**
 * The runs a change asks for. Marks incident-scope runs on `applied.incident.runbooks` (the record
 * committed with the delivery), so a later delivery of the same episode plans none.
 */
export function planRuns(runbooks: readonly AlertRunbook[], source: AlertSource, applied: Applied): PlannedRun[] {
  const inc = applied.incident;
  const full = (fps: { fingerprint: string }[]) => fps.map((b) => inc.alerts[b.fingerprint]).filter((a): a is IncidentAlert => a !== undefined);
  const fired = full([...applied.changes.added, ...applied.changes.refired]);
  const resolved = full(applied.changes.resolved);
  const out: PlannedRun[] = [];
  for (const rb of runbooks) {
    if (rb.sources && !rb.sources.includes(source)) continue;
    const wants = (status: AlertStatus) => rb.status === 'any' || rb.status === status;
    const hits = (alerts: IncidentAlert[]) => alerts.filter((a) => matches(rb.matchers, a.labels));
    if (rb.scope === 'alert') {
      if (wants('firing')) for (const a of hits(fired)) out.push({ runbook: rb, alert: a, status: 'firing', subject: a.fingerprint });
      if (wants('resolved')) for (const a of hits(resolved)) out.push({ runbook: rb, alert: a, status: 'resolved', subject: a.fingerprint });
      continue;
    }
    const first = hits(fired)[0];
    if (wants('firing') && first && inc.runbooks?.[rb.workflow] !== episode(inc)) {
      inc.runbooks = { ...inc.runbooks, [rb.workflow]: episode(inc) };
      out.push({ runbook: rb, alert: first, status: 'firing', subject: inc.id });
    }
    const last = hits(resolved)[0];
    if (wants('resolved') && applied.resolvedNow && last) out.push({ runbook: rb, alert: last, status: 'resolved', subject: inc.id });
  }
  return out;
}

/**
 * The alert a run started by a person from the incident stands for: the first to fire of those
 * still firing, else the last to change (a resolved incident), among those `matchers` select
 * (all when none). Undefined when none matches.
 */
export function alertOfIncident(inc: Incident, matchers: readonly Matcher[] = []): IncidentAlert | undefined {
  const alerts = Object.values(inc.alerts).filter((a) => matches(matchers, a.labels));
  const firing = alerts.filter((a) => a.status === 'firing').sort((a, b) => a.firstSeen - b.firstSeen);
  return firing[0] ?? alerts.sort((a, b) => b.changedAt - a.changedAt)[0];
}

/**
 * The alert a `start: manual` runbook stands for on this incident, when the incident offers it: its
 * source is one the runbook takes and one of its alerts matches (a firing one, unless the runbook's
 * `status` is `resolved` or `any`). Undefined: the incident does not offer it.
 */
export function offeredAlert(rb: AlertRunbook, inc: Incident): IncidentAlert | undefined {
  if (inc.source === 'storm' || (rb.sources && !rb.sources.includes(inc.source))) return undefined;
  const alert = alertOfIncident(inc, rb.matchers);
  if (!alert || (rb.status === 'firing' && alert.status !== 'firing')) return undefined;
  return alert;
}

/** The names of the `start: manual` runbooks this incident offers, in the given order. */
export function offeredRunbooks(manual: readonly AlertRunbook[], inc: Incident): string[] {
  return manual.filter((rb) => offeredAlert(rb, inc) !== undefined).map((rb) => rb.workflow);
}

/** The `alert` expression context of a run (FORMATS.md): the alert, its source and its incident. */
export function alertContext(alert: IncidentAlert, source: AlertSource | 'storm', inc: Incident, incidentUrl: string | undefined): Record<string, unknown> {
  return {
    labels: alert.labels,
    annotations: alert.annotations,
    status: alert.status,
    fingerprint: alert.fingerprint,
    startsAt: alert.startsAt ?? '',
    endsAt: alert.endsAt ?? '',
    generatorURL: alert.generatorURL ?? '',
    source,
    incident: { id: inc.id, url: incidentUrl ?? '', title: inc.title },
  };
}

/** An `on.alert.inputs` expression failed for an alert: the run is skipped with this reason. */
export class InputMappingError extends Error {
  readonly code = 'E_ALERT_INPUTS';
}

/** The run's inputs from `on.alert.inputs`; throws InputMappingError naming the input when an expression fails. */
export function mapInputs(rb: AlertRunbook, alert: Record<string, unknown>): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  const ctx = { alert, incident: (alert.incident ?? {}) as Record<string, unknown> };
  for (const [name, value] of Object.entries(rb.inputs)) {
    if (typeof value !== 'string') {
      out[name] = value;
      continue;
    }
    try {
      out[name] = interpolate(value, ctx);
    } catch (err) {
      if (err instanceof ExpressionError) throw new InputMappingError(`on.alert.inputs.${name}: ${err.message}`, { cause: err });
      throw err;
    }
  }
  return out;
}
