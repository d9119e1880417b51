/**
 * `run [INCIDENT] RUNBOOK`: what a runbook's button on an incident sends (a workflow whose
 * `on.alert` says `start: manual`), or the same line typed in the incident's thread or with its id.
 * Checked here before anything starts: the incident offers that runbook (one of its alerts
 * matches), policy lets the person start it (a rule granting `run`, or one of the workflow's own
 * commands: fail closed, refusals audited), and the inputs mapped from the alert fit. The router
 * then starts it like a command's run, bound to the incident: on its timeline, in its thread, with
 * the group's `alert` context.
 */
import { mayStartRunbook } from '../config/policy.js';
import { validateInputs } from '../workflow/inputs.js';
import type { Workflow } from '../workflow/schema.js';
import type { BuiltinDeps } from './builtins.js';
import type { ChatContext } from './context.js';
import { BUILTIN_USAGE } from './help.js';
import type { ChatContent } from './platform.js';
import { code, errorReply, reply, text } from './replies.js';

const INCIDENT_ID = /^i-[0-9a-z]{6}$/;

/** A runbook start that passed every check: the router writes the run after the ack. */
export interface IncidentRunStart {
  incidentId: string;
  workflow: Workflow;
  inputs: Record<string, unknown>;
  alert: Record<string, unknown>;
}

export type IncidentRunCheck = { ok: true; start: IncidentRunStart } | { ok: false; replies: ChatContent[]; /** Refused by policy: the incident it was asked from, for the audit trail. */ denied?: { incidentId: string } };

const refuse = (...replies: ChatContent[]): IncidentRunCheck => ({ ok: false, replies });

export async function checkIncidentRun(args: string[], ctx: ChatContext, deps: BuiltinDeps): Promise<IncidentRunCheck> {
  const desk = deps.incidents;
  if (!desk) return refuse(errorReply('E_NO_INCIDENTS', 'run: incidents are not available here'));
  const usage = code(`usage: ${BUILTIN_USAGE.run?.usage ?? 'run'}`);
  const given = args[0] !== undefined && INCIDENT_ID.test(args[0]);
  const incidentId = given ? args[0] : ctx.incidentId;
  const rest = given ? args.slice(1) : args;
  if (incidentId === undefined) return refuse(errorReply('E_USAGE', "run: which incident? Click its button, type it in the incident's thread, or give its id", [usage]));
  const workflows = deps.runs.workflows();
  const offered = () => desk.runbooksOffered(incidentId, workflows.values());
  const name = rest[0];
  if (name === undefined || rest.length > 1) {
    const names = await offered();
    return refuse(errorReply('E_USAGE', name === undefined ? 'run: which runbook?' : 'run: a runbook takes its inputs from the alert, not from the line', [usage, text(names.length > 0 ? `${incidentId} offers: ${names.join(', ')}` : `${incidentId} offers no runbook (a workflow whose on.alert says start: manual and matches its alerts).`)]));
  }
  const workflow = workflows.get(name);
  const commands = [...deps.commands()].filter((c) => c.workflow === name).map((c) => c.name);
  if (!mayStartRunbook(deps.policy, { commands, roles: ctx.roles, channel: ctx.channel })) {
    ctx.log.warn({ incident: incidentId, workflow: name }, 'runbook start from an incident refused by policy');
    return {
      ok: false,
      denied: { incidentId },
      replies: [reply('denied', `You may not start ${name} from ${incidentId}`, [text(`No rule in policy.yaml lets ${ctx.user.identity} (${ctx.roles.length > 0 ? `roles ${ctx.roles.join(', ')}` : 'no role'}) start runbooks from incidents (\`run\`)${commands.length > 0 ? ` or run ${commands.join(', ')}` : ''} in ${ctx.channel}. The refusal was recorded.`)], { code: 'E_DENIED' })],
    };
  }
  if (!workflow) {
    const names = await offered();
    return refuse(errorReply('E_NO_WORKFLOW', `run: no workflow ${name} is loaded`, [text(names.length > 0 ? `${incidentId} offers: ${names.join(', ')}` : 'Run `chatops validate` to see why.')]));
  }
  const prepared = await desk.runbookStart(incidentId, workflow);
  if (!prepared.ok) return refuse(errorReply(prepared.code, prepared.title, (prepared.lines ?? []).map(text)));
  const checked = validateInputs(workflow, prepared.inputs);
  if (!checked.ok) return refuse(errorReply('E_INVALID_INPUT', `${name} cannot start from ${incidentId}: ${checked.errors.map((e) => `${e.input}: ${e.message}`).join('; ')}`, [text("The inputs come from the incident's alert through on.alert.inputs.")]));
  return { ok: true, start: { incidentId, workflow, inputs: checked.values, alert: prepared.alert } };
}
