import { approvalRuleFor, mayApprove, mayRun, policySchema, rolesOf } from '../../src/config/policy.js';

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
  it('refuses members without a platform', () => {
    expect(policySchema.safeParse({ roles: { sre: { members: ['bob'] } } }).success).toBe(false);
  });
});
