/**
 * The render model of incidents: WHAT an incident's living message and its thread replies show,
 * with no formatting. Built by the alerts layer (alerts/incident-view.ts) from the incident record
 * and timeline; each adapter formats it (Block Kit, ANSI text). Times are epoch ms plus `now`.
 */

export interface IncidentAlertLine {
  name: string;
  status: 'firing' | 'resolved';
  /** A few identifying labels (`instance=db-1 · job=node`). */
  detail: string;
  summary?: string;
}

/**
 * A button on an incident's message. It sends `command` as if the clicker typed it in the
 * incident's thread (so policy and the timeline treat both alike); the terminal shows the line.
 */
export interface IncidentAction {
  label: string;
  command: string;
  style?: 'primary' | 'danger';
}

/** Button ids are `incident|<command>`: every adapter decodes clicks the same way. */
export function encodeIncidentAction(command: string): string {
  return `incident|${command}`;
}

const ACTION_COMMAND = /^(ack|silence|unsilence|run) i-[0-9a-z]{6}( [0-9a-z_-]{1,64})?$/;

/** The line a button sends, or undefined for an id that is not an incident button. */
export function decodeIncidentAction(id: string): string | undefined {
  if (!id.startsWith('incident|')) return undefined;
  const command = id.slice('incident|'.length);
  return ACTION_COMMAND.test(command) ? command : undefined;
}

export interface IncidentView {
  incidentId: string;
  /** First line, in words: `Firing`, `Resolved` (later `Acknowledged`, `Silenced`). */
  state: 'firing' | 'resolved';
  title: string;
  severity?: string;
  summary?: string;
  firing: number;
  resolved: number;
  firstSeen: number;
  lastSeen: number;
  resolvedAt?: number;
  /** From opening to resolution, once resolved. */
  durationMs?: number;
  /** Alerts the source left out of its last notification ("+N not sent"). */
  truncated: number;
  reopened: number;
  /** The first firing alerts (then resolved ones), at most a screenful. */
  alerts: IncidentAlertLine[];
  /** Alerts beyond those listed. */
  more: number;
  links: { label: string; url: string }[];
  source: string;
  /** Who acknowledged it (the message says "handled by …"). */
  handledBy?: string;
  /** Silenced from chat until then (ms). */
  silencedUntil?: number;
  /** Buttons (open incidents only). */
  actions: IncidentAction[];
  /** Set on the "alert storm" incident: how many groups it took in. */
  stormGroups?: number;
  /** The incident's web page (signed), for a "View" link. */
  link?: string;
  now: number;
}

/** One thread reply: what changed since the last one (alerts joined, resolved, re-fired; runs skipped). */
export interface IncidentChangeView {
  incidentId: string;
  tone: 'firing' | 'resolved' | 'info';
  /** Short headline: `2 alerts joined, 1 resolved`. */
  title: string;
  lines: string[];
}

/** The message's first word: `Resolved`, else `Silenced` or `Acknowledged` once people did so, else `Firing`. */
export function incidentStateWord(v: Pick<IncidentView, 'state' | 'handledBy' | 'silencedUntil'>): 'Firing' | 'Acknowledged' | 'Silenced' | 'Resolved' {
  if (v.state === 'resolved') return 'Resolved';
  if (v.silencedUntil !== undefined) return 'Silenced';
  return v.handledBy !== undefined ? 'Acknowledged' : 'Firing';
}
