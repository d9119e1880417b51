/**
 * A hand-made alert, for trying the alert flow without a monitoring system: `chatops alert fire
 * ALERTNAME label=value… [--resolve]` on the command line (to a running bot's generic route) and
 * `alert fire …` in `chatops shell` (recorded straight into this process's Redis). Both make the
 * body the generic source takes (FORMATS.md "Alerts"), so the alert goes through the same parsing,
 * recording, incident and runbook path as any other.
 */
import { genericPayloadSchema, fromGeneric, type GenericPayload } from './sources/generic.js';
import type { Notification } from './types.js';

const LABEL_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export interface FiredAlert {
  name: string;
  labels: Record<string, string>;
  resolve: boolean;
}

/** `ALERTNAME k=v … [--resolve]` → the alert, or a usage error in words. */
export function parseFireArgs(words: readonly string[]): FiredAlert | { error: string } {
  const rest = words.filter((w) => w !== '--resolve');
  const resolve = rest.length !== words.length;
  const [name, ...pairs] = rest;
  if (!name || name.includes('=') || name.startsWith('-')) return { error: 'usage: alert fire ALERTNAME [label=value …] [--resolve]' };
  const labels: Record<string, string> = {};
  for (const pair of pairs) {
    const i = pair.indexOf('=');
    const key = i > 0 ? pair.slice(0, i) : '';
    if (!LABEL_NAME.test(key)) return { error: `"${pair}" is not label=value (label names are letters, digits and _, not starting with a digit)` };
    if (key === 'alertname') return { error: 'the alert name is the first word; alertname= cannot be given as a label' };
    if (Object.hasOwn(labels, key)) return { error: `label "${key}" is given twice` };
    labels[key] = pair.slice(i + 1);
  }
  return { name, labels, resolve };
}

/** The generic-source body of a fired (or resolved) alert; its incident is keyed by name and labels. */
export function firedBody(a: FiredAlert): GenericPayload {
  const labels = { alertname: a.name, ...a.labels };
  const key = Object.entries(labels)
    .sort(([x], [y]) => x.localeCompare(y))
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  return genericPayloadSchema.parse({ status: a.resolve ? 'resolved' : 'firing', title: a.name, dedup_key: `fired:${key}`, labels, annotations: { summary: `${a.name} fired by hand (chatops alert fire)` } });
}

export function firedNotification(a: FiredAlert): Notification {
  return fromGeneric(firedBody(a));
}
