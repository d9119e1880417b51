import { approvalRuleFor, mayApprove, mayRun, personOf, policySchema, principalOf, rolesOf } from '../../src/config/policy.js';

const policy = policySchema.parse({
  roles: {
    oncall: { members: ['slack:U0ALICE', 'discord:200', 'shell:alice'] },
    sre: { members: ['slack:U0BOB', 'slack-group:S0SRE', 'discord-role:300', 'shell:bob'] },
  },
  rules: [
    { commands: ['restart', 'diagnose'], roles: ['oncall', 'sre'], channels: ['*'] },
    { commands: ['deploy'], roles: ['sre'], channels: ['#deploys'] },
  ],
  approvals: [
    { workflows: ['deploy'], min_approvers: 2, roles: ['sre'], expires: '1h' },
    { workflows: ['*'], roles: ['sre'] },
  ],
});

describe('rolesOf', () => {
  it('finds roles by identity and by group', () => {
    expect(rolesOf(policy, 'shell:alice')).toEqual(['oncall']);
    expect(rolesOf(policy, 'slack:U9', ['slack-group:S0SRE'])).toEqual(['sre']);
    expect(rolesOf(policy, 'discord:1', ['discord-role:300'])).toEqual(['sre']);
  });
  it('gives strangers and the policy-less no roles', () => {
    expect(rolesOf(policy, 'shell:mallory')).toEqual([]);
    expect(rolesOf(undefined, 'shell:alice')).toEqual([]);
  });
  it('does not confuse platforms', () => expect(rolesOf(policy, 'slack:alice')).toEqual([]));
});

describe('mayRun', () => {
  it('allows what a rule allows', () => {
    expect(mayRun(policy, { command: 'restart', roles: ['oncall'], channel: 'C1' })).toBe(true);
    expect(mayRun(policy, { command: 'deploy', roles: ['sre'], channel: '#deploys' })).toBe(true);
    expect(mayRun(policy, { command: 'deploy', roles: ['sre'], channel: 'deploys' })).toBe(true);
  });
  it('fails closed otherwise', () => {
    expect(mayRun(policy, { command: 'deploy', roles: ['oncall'], channel: '#deploys' })).toBe(false);
    expect(mayRun(policy, { command: 'deploy', roles: ['sre'], channel: '#random' })).toBe(false);
    expect(mayRun(policy, { command: 'free-disk', roles: ['sre'], channel: '#x' })).toBe(false);
    expect(mayRun(policy, { command: 'restart', roles: [], channel: '#x' })).toBe(false);
  });
  it('lets everyone run everything without a policy file', () => {
    expect(mayRun(undefined, { command: 'anything', roles: [], channel: '#x' })).toBe(true);
  });
});

describe('approvalRuleFor', () => {
  it('prefers an exact workflow rule over "*"', () => {
    expect(approvalRuleFor(policy, 'deploy')).toEqual({ minApprovers: 2, roles: ['sre'], expiresMs: 3_600_000 });
    expect(approvalRuleFor(policy, 'restart-service')).toEqual({ minApprovers: 1, roles: ['sre'], expiresMs: 1_800_000 });
  });
  it('defaults to one approver of any role for 30 minutes', () => {
    expect(approvalRuleFor(undefined, 'x')).toEqual({ minApprovers: 1, roles: [], expiresMs: 1_800_000 });
  });
  it('checks approver roles', () => {
    expect(mayApprove(['sre'], ['sre'])).toBe(true);
    expect(mayApprove(['oncall'], ['sre'])).toBe(false);
    expect(mayApprove([], [])).toBe(true);
  });
});

describe('policySchema', () => {
  it('refuses members of an unknown platform and groups as a person\'s account', () => {
    expect(policySchema.safeParse({ roles: { sre: { members: ['email:bob'] } } }).success).toBe(false);
    expect(policySchema.safeParse({ roles: { sre: { members: ['bob smith'] } } }).success).toBe(false);
    expect(policySchema.safeParse({ people: { bob: ['slack-group:S1'] } }).success).toBe(false);
    expect(policySchema.safeParse({ people: { bob: [] } }).success).toBe(false);
    // A bare name is a person; whether that person exists is validate's business (people-checks).
    expect(policySchema.safeParse({ roles: { sre: { members: ['bob'] } } }).success).toBe(true);
  });
});

describe('people', () => {
  const withPeople = policySchema.parse({
    people: { alice: ['shell:alice', 'slack:U0ALICE', 'discord:200'], bob: ['shell:bob'] },
    roles: { oncall: { members: ['alice'] }, sre: { members: ['shell:bob', 'slack:U0ALICE'] } },
  });
  it('maps every account of a person to that person, and nothing else', () => {
    expect(personOf(withPeople, 'slack:U0ALICE')).toBe('alice');
    expect(personOf(withPeople, 'discord:200')).toBe('alice');
    expect(personOf(withPeople, 'slack:U9')).toBeUndefined();
    expect(personOf(undefined, 'shell:alice')).toBeUndefined();
    expect(principalOf(withPeople, 'shell:alice')).toBe('person:alice');
    expect(principalOf(withPeople, 'slack:U0ALICE')).toBe(principalOf(withPeople, 'shell:alice'));
    expect(principalOf(withPeople, 'slack:U9')).toBe('slack:U9');
  });
  it('gives a person the roles listed by name or through any of their accounts', () => {
    // sre lists slack:U0ALICE only: alice at the terminal or on Discord is still alice.
    expect(rolesOf(withPeople, 'shell:alice')).toEqual(['oncall', 'sre']);
    expect(rolesOf(withPeople, 'discord:200')).toEqual(['oncall', 'sre']);
    expect(rolesOf(withPeople, 'shell:bob')).toEqual(['sre']);
    // A name is not an account: someone whose login is "alice" on Slack is not the person alice.
    expect(rolesOf(withPeople, 'slack:alice')).toEqual([]);
  });
});
