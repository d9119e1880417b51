/**
 * Checks of policy.yaml's `people:` against its roles: a role member without a colon names a
 * person, who must exist; an account belongs to one person only (else "the same person" would
 * depend on which entry is read first, and the requester rule could be dodged).
 */
import { didYouMean } from './did-you-mean.js';
import { MEMBER_PATTERN } from './policy.js';
import type { Problem, YamlSource } from './yaml-source.js';

/** The part of a policy these checks read; also taken from a policy with schema errors elsewhere. */
export interface PeopleAndRoles {
  people: Record<string, string[]>;
  roles: Record<string, { members: string[] }>;
}

/**
 * What can be read of people and role members from a policy document that failed its schema
 * (so a typo elsewhere does not hide an unknown person); shapes that do not fit are skipped.
 */
export function lenientPeopleAndRoles(raw: unknown): PeopleAndRoles {
  const obj = (v: unknown): Record<string, unknown> => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {});
  const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
  const root = obj(raw);
  return {
    people: Object.fromEntries(Object.entries(obj(root.people)).map(([k, v]) => [k, strings(v)])),
    roles: Object.fromEntries(Object.entries(obj(root.roles)).map(([k, v]) => [k, { members: strings(obj(v).members) }])),
  };
}

export function checkPeople(policy: PeopleAndRoles, source: YamlSource): Problem[] {
  const problems: Problem[] = [];
  const at = (path: (string | number)[], severity: Problem['severity'], message: string) =>
    problems.push({ file: source.file, ...source.locate(path), severity, message });

  const owner = new Map<string, { person: string; index: number }>();
  for (const [person, accounts] of Object.entries(policy.people))
    accounts.forEach((account, k) => {
      const first = owner.get(account);
      if (first === undefined) owner.set(account, { person, index: k });
      else if (first.person === person) at(['people', person, k], 'warning', `people.${person}[${k}]: ${account} is listed twice for ${person}`);
      else
        at(['people', person, k], 'error', `people.${person}[${k}]: ${account} is already ${first.person}'s account (people.${first.person}[${first.index}]); an account belongs to one person`);
    });

  const people = Object.keys(policy.people);
  for (const [role, def] of Object.entries(policy.roles))
    def.members.forEach((member, j) => {
      if (MEMBER_PATTERN.test(member) || people.includes(member)) return;
      const hint = didYouMean(member, people);
      at(['roles', role, 'members', j], 'error', `roles.${role}.members[${j}]: no person named \`${member}\` in people:${hint || ` (people: ${people.join(', ') || 'none'}); an account is written slack:U123, discord:789 or shell:${member}`}`);
    });
  return problems;
}
