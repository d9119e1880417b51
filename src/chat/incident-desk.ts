/**
 * What the chat layer asks of incidents, platform-neutral: which incident a thread belongs to, and
 * the incident built-ins' work (postmortem, status, list, acknowledge, silence, resolve).
 * Implemented by the alerts layer (alerts/incident-desk.ts); the router only knows this
 * interface, so chat/ never imports alerts/. Who may do what is decided by the router against
 * policy before a call here.
 */
import type { Identity } from '../engine/types.js';
import type { Workflow } from '../workflow/schema.js';

/** One incident as `status` and `incidents` show it. */
export interface IncidentSummary {
  id: string;
  title: string;
  state: 'firing' | 'resolved';
  severity?: string;
  source: string;
  openedAt: number;
  resolvedAt?: number;
  handledBy?: string;
  silence?: { id: string; endsAt: number; by: string };
  alerts: { name: string; status: 'firing' | 'resolved'; detail: string }[];
  runs: { runId: string; workflow: string; state: string; by: string }[];
}

/** What starting a `start: manual` runbook from an incident takes: its alert context and mapped inputs, or why not. */
export type RunbookStart =
  | { ok: true; alert: Record<string, unknown>; inputs: Record<string, string | number | boolean> }
  | { ok: false; code: string; title: string; lines?: string[] };

/** What an incident action did: a line for the thread, or why it was refused. */
export type IncidentActionResult = { ok: true; title: string; lines?: string[] } | { ok: false; code: string; title: string; lines?: string[] };

export interface IncidentDesk {
  /** The incident whose living message is `thread` in this channel, if any. */
  incidentOfThread(platform: string, channel: string, thread: string): Promise<string | undefined>;
  /** Puts a line typed in the incident's thread on its timeline (already redacted). */
  noteCommand(incidentId: string, by: Identity, text: string): Promise<void>;
  /**
   * The `alert` expression context a run started from the incident's thread sees (FORMATS.md: the
   * same names as an alert-started run's, `alert.incident` carrying `incident.id` and `.url`).
   * Undefined: no such incident.
   */
  alertContext(incidentId: string): Promise<Record<string, unknown> | undefined>;
  /** The `start: manual` runbooks among `workflows` this incident offers (its buttons). */
  runbooksOffered(incidentId: string, workflows: Iterable<Workflow>): Promise<string[]>;
  /**
   * A `start: manual` runbook started from the incident: the `alert` context of the alert it stands
   * for and its `on.alert.inputs` mapped from it; refused when the incident does not offer it.
   */
  runbookStart(incidentId: string, workflow: Workflow): Promise<RunbookStart>;
  /** A run started in the incident's thread: on its timeline, and its approvals and end followed. */
  bindRun(incidentId: string, runId: string, workflow: string, by: Identity): Promise<void>;
  /** The incident's postmortem draft (Markdown), or undefined when there is no such incident. */
  postmortem(incidentId: string): Promise<string | undefined>;
  summary(incidentId: string): Promise<IncidentSummary | undefined>;
  /** Open incidents posted in this channel, the latest change first. */
  openIn(platform: string, channel: string): Promise<IncidentSummary[]>;
  ack(incidentId: string, by: Identity): Promise<IncidentActionResult>;
  silence(incidentId: string, by: Identity, durationMs: number): Promise<IncidentActionResult>;
  unsilence(incidentId: string, by: Identity): Promise<IncidentActionResult>;
  resolve(incidentId: string, by: Identity, why: string): Promise<IncidentActionResult>;
}
