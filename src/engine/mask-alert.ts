/**
 * The alert context of a run (FORMATS.md "Alerts"; alertContext in alerts/runbook-triggers.ts
 * builds it) as its meta stores it and its expressions read it: what the alert source wrote as
 * text is masked, what names the alert and its incident is kept.
 *
 * Kept as they are:
 * - `status` (firing, resolved), `source` (alertmanager, grafana, …) and `fingerprint`: the alert's
 *   identity, which cooldowns, the incident's timeline and `alert.fingerprint` go by;
 * - `incident.id` and `incident.url`: the incident's id (in every log line of the run, in
 *   `incident.id`) and the signed link to its page, both made by chatops;
 * - `startsAt` and `endsAt` when they read as a time (RFC 3339, as the sources send it).
 * Masked as text, keys never: label and annotation values, `generatorURL` (a query string can carry
 * a token), `incident.title`, a time that is not one, and any field not named here.
 *
 * A one-character secret `i` thus leaves `i-4k2x9a` and `firing` readable and masks `infra`
 * in a label. The incident shows these same values in clear anyway (they are the alert's, not the
 * run's); masking its identity in the run would only break the expressions that read it.
 */
import type { Masker } from '../lib/mask.js';

const KEPT = new Set(['status', 'source', 'fingerprint']);
const TIMES = new Set(['startsAt', 'endsAt']);
const KEPT_OF_INCIDENT = new Set(['id', 'url']);
const TIME = /^\d{4}-\d\d-\d\d[Tt ]\d\d:\d\d(:\d\d(\.\d+)?)?([Zz]|[+-]\d\d:?\d\d)?$/;

export function maskAlert(masker: Masker, alert: Record<string, unknown>): Record<string, unknown> {
  if (masker.empty) return alert;
  return Object.fromEntries(
    Object.entries(alert).map(([k, v]) => {
      if (KEPT.has(k) || (TIMES.has(k) && typeof v === 'string' && TIME.test(v))) return [k, v];
      if (k === 'incident' && isRecord(v)) return [k, Object.fromEntries(Object.entries(v).map(([ik, iv]) => [ik, KEPT_OF_INCIDENT.has(ik) ? iv : masker.maskDeep(iv)]))];
      return [k, masker.maskDeep(v)];
    }),
  );
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
