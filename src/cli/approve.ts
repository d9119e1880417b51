/**
 * `chatops approve RUN [--as USER] [--step ID]` and `chatops deny …`. The user's roles come from
 * policy.yaml (`shell:USER` members); the requester never counts. Exit 0 when the decision counted,
 * 1 when it did not (the reason is printed), 2 for an unknown run or a run with no open approval.
 * Either way the decision is in the audit trail, as one made in chat is.
 */
import { rolesFor, terminalIdentity } from '../engine/bootstrap.js';
import { EXIT } from './exit-codes.js';
import { auditTerminal } from './terminal-audit.js';
import { withEngine } from './with-engine.js';

export async function decideCommand(decision: 'approve' | 'deny', runId: string, opts: { as?: string; step?: string }): Promise<number> {
  return withEngine(decision, async (opened) => {
    const user = terminalIdentity(opened.env, opts.as);
    const res = await opened.engine.decide({ runId, stepId: opts.step, user, roles: rolesFor(opened.project, user), decision });
    const line = ['chatops', decision, runId, ...(opts.step !== undefined ? ['--step', opts.step] : []), ...(opts.as !== undefined ? ['--as', opts.as] : [])].join(' ');
    await auditTerminal(opened, { type: 'decided', who: user, command: decision, runId, detail: res.counted ? 'counted' : `not counted: ${res.reason ?? ''}`, line, as: opts.as });
    const approvals = res.approval.decisions.filter((d) => d.counted && d.decision === 'approve').length;
    if (!res.counted) {
      console.error(`not counted: ${res.reason ?? 'not allowed'}`);
      return EXIT.failed;
    }
    const outcome = res.approval.outcome ? ` → ${res.approval.outcome}` : ` (${approvals} of ${res.approval.minApprovers} approvals)`;
    console.log(`${decision === 'approve' ? 'approved' : 'denied'} by ${user}${outcome}`);
    return EXIT.ok;
  }, ['UNKNOWN_RUN', 'NO_WAITING_APPROVAL', 'NOT_AN_APPROVAL']);
}
