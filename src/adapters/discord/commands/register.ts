/**
 * Registers the application's commands: `/ops` and the typed commands generated from the project,
 * with Discord's bulk overwrite (PUT), so registering twice changes nothing and commands removed
 * from the project disappear. A guild registers at once; global commands take up to an hour.
 */
import { Routes, type RESTPutAPIApplicationCommandsJSONBody, type RESTPutAPIApplicationCommandsResult } from 'discord-api-types/v10';
import type { Project } from '../../../config/load-project.js';
import type { DiscordConfig } from '../config.js';
import { DiscordConfigError } from '../errors.js';
import { createDiscordRest, translateError } from '../rest.js';
import { opsCommand } from './ops-command.js';
import { typedCommands, type CommandProblem } from './typed-commands.js';

export interface Registered {
  where: string;
  commands: { name: string; options: number }[];
  problems: CommandProblem[];
}

export function projectCommands(project: Pick<Project, 'commands' | 'workflows'>): { body: RESTPutAPIApplicationCommandsJSONBody; problems: CommandProblem[] } {
  const typed = typedCommands(project.commands.values(), project.workflows);
  return { body: [opsCommand(), ...typed.commands], problems: typed.problems };
}

export async function registerCommands(config: DiscordConfig, project: Pick<Project, 'commands' | 'workflows'>, guildId = config.guildId): Promise<Registered> {
  const rest = createDiscordRest(config);
  const { body, problems } = projectCommands(project);
  const route = guildId ? Routes.applicationGuildCommands(config.applicationId, guildId) : Routes.applicationCommands(config.applicationId);
  let result: RESTPutAPIApplicationCommandsResult;
  try {
    result = (await rest.put(route, { body })) as RESTPutAPIApplicationCommandsResult;
  } catch (err) {
    if ((err as { status?: unknown }).status === 401) throw new DiscordConfigError('DISCORD_TOKEN_INVALID', 'DISCORD_TOKEN', 'Discord refused DISCORD_TOKEN (401 Unauthorized). Reset the bot token in the developer portal ("Bot" → "Reset Token") and copy it.');
    throw translateError(err, 'register commands', guildId ?? 'global');
  }
  return { where: guildId ? `guild ${guildId}` : 'globally (may take up to an hour to appear)', commands: result.map((c) => ({ name: c.name, options: c.options?.length ?? 0 })), problems };
}
