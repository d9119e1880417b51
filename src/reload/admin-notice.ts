/**
 * Tells CHATOPS_ADMIN_CHANNEL (`platform:channel`) of a refused reload, once across replicas: every
 * front refuses the same broken text, and the first to claim P:reload:told:HASH posts.
 */
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { platformKind, splitChannel } from '../alerts/incident-reporter.js';
import type { ChatPlatform } from '../chat/platform.js';
import { code, reply, text } from '../chat/replies.js';
import { formatProblem } from '../config/yaml-source.js';
import { Keys } from '../engine/keys.js';
import type { Logger } from '../lib/logger.js';
import type { ReloadOutcome } from './project-holder.js';

const TOLD_FOR_S = 24 * 3600;
const MAX_LINES = 20;

export interface AdminNoticeOptions {
  redis: Redis;
  prefix: string;
  /** CHATOPS_ADMIN_CHANNEL. */
  channel: string;
  platforms: () => readonly ChatPlatform[];
  log: Logger;
}

export function adminNotifier(opts: AdminNoticeOptions): (outcome: ReloadOutcome) => Promise<void> {
  const keys = new Keys(opts.prefix);
  const [kind, channel] = splitChannel(opts.channel);
  return async (outcome) => {
    if (outcome.refused.length === 0) return;
    const lines = outcome.refused.flatMap((r) => r.problems.map(formatProblem));
    const hash = createHash('sha256').update(lines.join('\n')).digest('hex').slice(0, 24);
    try {
      if ((await opts.redis.set(keys.reloadTold(hash), '1', 'EX', TOLD_FOR_S, 'NX')) !== 'OK') return;
      const platform = opts.platforms().find((p) => platformKind(p) === kind);
      if (platform === undefined) {
        opts.log.warn({ channel: opts.channel }, 'CHATOPS_ADMIN_CHANNEL names a platform this process does not serve; the refused reload is only logged');
        return;
      }
      const files = outcome.refused.map((r) => r.file).join(', ');
      const kept = outcome.refused.every((r) => r.keptLastGood) ? 'The last good version of each stays in force.' : 'The last good version of each stays in force; a file that had none is left out.';
      const shown = lines.length > MAX_LINES ? [...lines.slice(0, MAX_LINES), `… and ${lines.length - MAX_LINES} more (run \`chatops validate\`)`] : lines;
      await platform.postRoot(channel, reply('error', `Runbook reload refused: ${files}`, [text(kept), code(shown.join('\n'))], { code: 'E_RELOAD_REFUSED', ephemeral: false }));
    } catch (err) {
      opts.log.warn({ err: err instanceof Error ? err.message : String(err), channel: opts.channel }, 'could not tell the admin channel of a refused reload');
    }
  };
}
