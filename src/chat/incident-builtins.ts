/**
 * The incident built-ins, typed in an incident's thread (the incident is the thread's) or with an
 * incident id anywhere: `postmortem [INCIDENT]`. The work is the IncidentDesk's (alerts layer).
 */
import type { BuiltinDeps, BuiltinResult } from './builtins.js';
import type { ChatContext } from './context.js';
import { BUILTIN_USAGE } from './help.js';
import { code, errorReply, text, textReply } from './replies.js';

export const INCIDENT_BUILTINS = ['postmortem'] as const;
const INCIDENT_ID = /^i-[0-9a-z]{6}$/;

/** The incident a built-in acts on: its argument, else the thread's. */
function incidentArg(name: string, args: string[], ctx: ChatContext): string | BuiltinResult {
  const given = args[0];
  if (given !== undefined && INCIDENT_ID.test(given)) return given;
  if (given !== undefined) return { replies: [errorReply('E_USAGE', `${name}: ${given} is not an incident id (i-xxxxxx)`, [code(`usage: ${BUILTIN_USAGE[name]?.usage ?? name}`)])] };
  if (ctx.incidentId) return ctx.incidentId;
  return { replies: [errorReply('E_USAGE', `${name}: which incident? Type it in the incident's thread, or give its id`, [code(`usage: ${BUILTIN_USAGE[name]?.usage ?? name}`)])] };
}

export async function runIncidentBuiltin(name: string, args: string[], ctx: ChatContext, deps: BuiltinDeps): Promise<BuiltinResult> {
  const desk = deps.incidents;
  if (!desk) return { replies: [errorReply('E_NO_INCIDENTS', `${name}: incidents are not available here`)] };
  const id = incidentArg(name, args, ctx);
  if (typeof id !== 'string') return id;
  const markdown = await desk.postmortem(id);
  if (markdown === undefined) return { replies: [errorReply('E_UNKNOWN_INCIDENT', `no incident ${id}`, [text('It may have expired, or the id is mistyped.')])] };
  const file = { filename: `${id}-postmortem.md`, title: `postmortem of ${id}`, text: markdown };
  return { replies: [textReply(`postmortem of ${id}`, file, deps.replyLimits?.(ctx.platform))] };
}
