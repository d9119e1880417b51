/**
 * policy.yaml: who may run which commands where, and who approves. The schema plus pure
 * evaluation. Everything here fails closed: an identity in no role has no roles, a command no
 * rule allows is refused. Only a missing policy file opens things up (as FORMATS.md documents).
 */
import { z } from 'zod';
import { parseDuration } from '../workflow/duration.js';
import { durationSchema } from '../workflow/schema.js';

export const MEMBER_PATTERN = /^(slack|slack-group|discord|discord-role|shell):[^\s:]+$/;
/** A person's own account on one platform (groups are not a person). */
export const ACCOUNT_PATTERN = /^(slack|discord|shell):[^\s:]+$/;
export const ROLE_NAME_PATTERN = /^[A-Za-z0-9_-]+$/;
/** A person's name in `people:`; no colon, so it never reads as an account. */
export const PERSON_NAME_PATTERN = /^[A-Za-z0-9_.-]+$/;

const memberSchema = z
  .string()
  .refine(
    (m) => MEMBER_PATTERN.test(m) || PERSON_NAME_PATTERN.test(m),
    'expected a member like slack:U123, slack-group:S456, discord:789, discord-role:1011, shell:alice, or the name of a person in people:',
  );

const accountSchema = z
  .string()
  .regex(ACCOUNT_PATTERN, "expected a person's account like slack:U123, discord:789 or shell:alice (groups such as slack-group: belong in roles)");

export const roleSchema = z.strictObject({
  description: z.string().optional(),
  members: z.array(memberSchema).default([]),
});

const nameListSchema = z.array(z.string().min(1)).min(1, 'expected at least one entry ("*" for any)');

export const ruleSchema = z.strictObject({
  commands: nameListSchema,
  roles: nameListSchema,
  channels: nameListSchema.default(['*']),
});

export const approvalRuleSchema = z.strictObject({
  workflows: nameListSchema,
  min_approvers: z.number().int().min(1, 'an approval needs at least one approver').max(10).default(1),
  roles: z.array(z.string().min(1)).default([]),
  expires: durationSchema.default('30m'),
});

export const policySchema = z.strictObject({
  people: z.record(z.string().regex(PERSON_NAME_PATTERN, 'expected a person name of letters, digits, ., _ and -'), z.array(accountSchema).min(1, 'expected at least one account')).default({}),
  roles: z.record(z.string().regex(ROLE_NAME_PATTERN, 'expected a role name of letters, digits, _ and -'), roleSchema).default({}),
  rules: z.array(ruleSchema).default([]),
  approvals: z.array(approvalRuleSchema).default([]),
});

export type Policy = z.infer<typeof policySchema>;
export type PolicyRule = z.infer<typeof ruleSchema>;
export type ApprovalRule = z.infer<typeof approvalRuleSchema>;

/**
 * Used when the policy exists but cannot be used (errors, a misnamed or dangling file): nobody
 * holds a role and no rule allows anything, so a mistake locks everything rather than opening
 * everything (fail closed). Compare by identity (`policy === LOCKED_POLICY`).
 */
export const LOCKED_POLICY: Policy = { people: {}, roles: {}, rules: [], approvals: [] };

/** Whether the policy in force is the lock that a broken policy file leaves. */
export function policyLocked(policy: Policy | undefined): boolean {
  return policy === LOCKED_POLICY;
}

export const DEFAULT_APPROVAL = { minApprovers: 1, roles: [] as string[], expiresMs: 30 * 60_000 } as const;

const personIndex = new WeakMap<Policy, Map<string, string>>();

/** The person (a name in `people:`) an account belongs to, if policy names one. */
export function personOf(policy: Policy | undefined, identity: string): string | undefined {
  if (policy === undefined) return undefined;
  let index = personIndex.get(policy);
  if (index === undefined) {
    index = new Map();
    // The first claim wins; validate refuses an account listed for two people.
    for (const [name, accounts] of Object.entries(policy.people)) for (const a of accounts) if (!index.has(a)) index.set(a, name);
    personIndex.set(policy, index);
  }
  return index.get(identity);
}

/**
 * Who an identity is, for "is this the same one?" questions (the requester rule, one decision per
 * approver, quorum counting): `person:NAME` for an account of a person, else the identity itself.
 */
export function principalOf(policy: Policy | undefined, identity: string): string {
  const person = personOf(policy, identity);
  return person === undefined ? identity : `person:${person}`;
}

/**
 * The roles an identity holds: a role lists the identity itself (`slack:U1`, `shell:alice`), one of
 * its groups (`slack-group:S1`, `discord-role:9`), its person by name, or another account of that
 * person (a person is one person on every platform). Sorted, no duplicates.
 */
export function rolesOf(policy: Policy | undefined, identity: string, groups: string[] = []): string[] {
  if (policy === undefined) return [];
  const person = personOf(policy, identity);
  const held = new Set([identity, ...groups, ...(person === undefined ? [] : [person, ...(policy.people[person] ?? [])])]);
  return Object.entries(policy.roles)
    .filter(([, role]) => role.members.some((m) => held.has(m)))
    .map(([name]) => name)
    .sort();
}

function listHas(list: string[], value: string): boolean {
  return list.includes('*') || list.includes(value);
}

function channelMatches(patterns: string[], channel: string): boolean {
  // "#incidents" and "incidents" name the same channel; ids (C0123) match exactly.
  const bare = channel.replace(/^#/, '');
  return patterns.some((p) => p === '*' || p === channel || p.replace(/^#/, '') === bare);
}

/** Whether someone holding `roles` may run `command` in `channel`. No policy file: everyone may. */
export function mayRun(policy: Policy | undefined, req: { command: string; roles: string[]; channel: string }): boolean {
  if (policy === undefined) return true;
  return policy.rules.some(
    (rule) =>
      listHas(rule.commands, req.command) &&
      (rule.roles.includes('*') || rule.roles.some((r) => req.roles.includes(r))) &&
      channelMatches(rule.channels, req.channel),
  );
}

/** The command name policy rules grant to start `start: manual` runbooks from incidents (their buttons). */
export const INCIDENT_RUN_COMMAND = 'run';

/**
 * Whether someone holding `roles` may start a `start: manual` runbook from an incident in
 * `channel`: a rule grants them `run` (any such runbook), or one of `commands`, the chat commands
 * that start the same workflow (whoever may run it by its command may run it by its button).
 */
export function mayStartRunbook(policy: Policy | undefined, req: { commands: Iterable<string>; roles: string[]; channel: string }): boolean {
  if (mayRun(policy, { command: INCIDENT_RUN_COMMAND, roles: req.roles, channel: req.channel })) return true;
  for (const command of req.commands) if (mayRun(policy, { command, roles: req.roles, channel: req.channel })) return true;
  return false;
}

/**
 * The approval defaults for a workflow's approval steps that do not say: the first matching rule
 * (exact workflow names before "*"), else one approver of any role, 30 minutes. The requester
 * never approves their own run, whatever this says.
 */
export function approvalRuleFor(policy: Policy | undefined, workflow: string): { minApprovers: number; roles: string[]; expiresMs: number } {
  const rules = policy?.approvals ?? [];
  const rule = rules.find((r) => r.workflows.includes(workflow)) ?? rules.find((r) => r.workflows.includes('*'));
  if (rule === undefined) return { ...DEFAULT_APPROVAL, roles: [] };
  return { minApprovers: rule.min_approvers, roles: [...rule.roles], expiresMs: parseDuration(rule.expires) ?? DEFAULT_APPROVAL.expiresMs };
}

/** Whether someone holding `roles` may approve, given the roles an approval asks for (empty: anyone). */
export function mayApprove(approverRoles: string[], wanted: string[]): boolean {
  return wanted.length === 0 || wanted.includes('*') || wanted.some((r) => approverRoles.includes(r));
}
