/** What the interaction handlers share: the router, the outbound platform, thread lookup and hooks. */
import type { APIInteractionResponse } from 'discord-api-types/v10';
import type { Router } from '../../chat/router.js';
import type { CommandDef } from '../../config/load-project.js';
import type { Logger } from '../../lib/logger.js';
import type { Workflow } from '../../workflow/schema.js';
import type { DiscordPlatform } from './discord-platform.js';
import type { DiscordThreadRuns } from './thread-runs.js';

/**
 * Sends the interaction's initial response (the ack): the HTTP answer, or the callback route on
 * the Gateway. False when a deferred answer already went out (the HTTP route's safety timer): the
 * caller then edits that answer (`@original`) instead.
 */
export type Respond = (body: APIInteractionResponse) => Promise<boolean>;

export interface InteractionDeps {
  router: Pick<Router, 'handleMessage' | 'handleClick' | 'allowedCommands'>;
  platform: DiscordPlatform;
  threadRuns?: DiscordThreadRuns;
  /** The project's commands by name: typed slash commands (`/restart …`) are looked up here. */
  commands: ReadonlyMap<string, CommandDef>;
  /** The workflows in force (which inputs are secret: those are asked for in a modal). */
  workflows: () => ReadonlyMap<string, Workflow>;
  log: Logger;
  now: () => number;
  /** How long a command may wait for the router before the ack goes out deferred. */
  ackBudgetMs: number;
  onAck?: (ms: number) => void;
  /** Work after acks still under way (runs being written): a stopping front waits for it. */
  pending: Set<Promise<unknown>>;
}
