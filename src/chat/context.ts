/**
 * The context every handled chat message or click gets: who, where, a child logger carrying
 * (platform, user, channel, and the run once known), and where to answer.
 */
import type { Logger } from '../lib/logger.js';
import type { ActionClick, ChatMessage, ChatUser, ReplyTarget } from './platform.js';
import { replyTargetOf } from './platform.js';

export interface ChatContext {
  platform: string;
  user: ChatUser;
  channel: string;
  /** Roles policy gives this user here (resolved once per message). */
  roles: string[];
  log: Logger;
  target: ReplyTarget;
  /** The incident whose thread the message was typed in, if any. */
  incidentId?: string;
  /** Returns a copy whose logger also carries the run id. */
  withRun(runId: string): ChatContext;
}

export function createContext(event: ChatMessage | ActionClick, roles: string[], log: Logger, incidentId?: string): ChatContext {
  const base = {
    ...(incidentId !== undefined ? { incidentId } : {}),
    platform: event.platform,
    user: event.user,
    channel: event.channel,
    roles,
    target: replyTargetOf(event),
  };
  const make = (logger: Logger): ChatContext => ({ ...base, log: logger, withRun: (runId) => make(logger.child({ runId })) });
  return make(log.child({ platform: event.platform, user: event.user.identity, channel: event.channel, ...(incidentId !== undefined ? { incident: incidentId } : {}) }));
}
