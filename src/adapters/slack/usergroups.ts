/**
 * Which Slack user groups (as `slack-group:S…` policy members) a user belongs to. Only the groups
 * policy.yaml names are asked about, each through usergroups.users.list, and membership is cached
 * briefly so a burst of clicks costs one call per group. A lookup that fails counts as "not a
 * member" (permissions fail closed) and is retried on the next check.
 */
import type { webApi } from '@slack/bolt';
import type { Policy } from '../../config/policy.js';
import type { Logger } from '../../lib/logger.js';
import { current, type Live } from '../../lib/live.js';

export const GROUP_PREFIX = 'slack-group:';
export const DEFAULT_GROUP_TTL_MS = 60_000;

/** The Slack user group ids policy.yaml refers to. */
export function policySlackGroups(policy: Policy | undefined): string[] {
  const ids = new Set<string>();
  for (const role of Object.values(policy?.roles ?? {})) {
    for (const m of role.members) if (m.startsWith(GROUP_PREFIX)) ids.add(m.slice(GROUP_PREFIX.length));
  }
  return [...ids];
}

interface Entry {
  at: number;
  members: Promise<Set<string>>;
}

export class UserGroupResolver {
  private readonly cache = new Map<string, Entry>();
  private readonly now: () => number;

  constructor(
    private readonly client: Pick<webApi.WebClient, 'usergroups'>,
    private readonly groups: Live<readonly string[]>,
    private readonly log: Logger,
    private readonly ttlMs = DEFAULT_GROUP_TTL_MS,
    now?: () => number,
  ) {
    this.now = now ?? Date.now;
  }

  /** `slack-group:S…` for each policy group the user is in. */
  async groupsOf(userId: string): Promise<string[]> {
    const found = await Promise.all(current(this.groups).map(async (g) => ((await this.members(g)).has(userId) ? `${GROUP_PREFIX}${g}` : undefined)));
    return found.filter((g): g is string => g !== undefined);
  }

  private members(group: string): Promise<Set<string>> {
    const hit = this.cache.get(group);
    if (hit && this.now() - hit.at < this.ttlMs) return hit.members;
    const members = this.client.usergroups.users.list({ usergroup: group }).then(
      (res) => new Set(res.users ?? []),
      (err: unknown) => {
        this.log.warn({ err, group }, 'could not list members of a Slack user group; treating as empty');
        this.cache.delete(group);
        return new Set<string>();
      },
    );
    this.cache.set(group, { at: this.now(), members });
    return members;
  }
}
