/**
 * What the chat layer asks of incidents, platform-neutral: which incident a thread belongs to, and
 * the incident built-ins' work (postmortem, status, resolve, acknowledge, silence). Implemented by
 * the alerts layer (alerts/incident-desk.ts); the router only knows this interface, so chat/ never
 * imports alerts/. Who may do what is decided by the router against policy before a call here.
 */
import type { Identity } from '../engine/types.js';

export interface IncidentDesk {
  /** The incident whose living message is `thread` in this channel, if any. */
  incidentOfThread(platform: string, channel: string, thread: string): Promise<string | undefined>;
  /** Puts a line typed in the incident's thread on its timeline (already redacted). */
  noteCommand(incidentId: string, by: Identity, text: string): Promise<void>;
  /** A run started in the incident's thread: on its timeline, and its approvals and end followed. */
  bindRun(incidentId: string, runId: string, workflow: string, by: Identity): Promise<void>;
  /** The incident's postmortem draft (Markdown), or undefined when there is no such incident. */
  postmortem(incidentId: string): Promise<string | undefined>;
}
