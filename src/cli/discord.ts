/**
 * `chatops discord register [--guild ID]`: overwrites the Discord application's commands with
 * `/ops` and the typed commands of this project, and prints what it registered.
 */
import { readDiscordConfig } from '../adapters/discord/config.js';
import { registerCommands } from '../adapters/discord/commands/register.js';
import { DiscordConfigError } from '../adapters/discord/errors.js';
import { readEnv } from '../config/env.js';
import { displayPath, loadProject } from '../config/load-project.js';
import { SNOWFLAKE } from '../adapters/discord/config.js';
import { EXIT } from './exit-codes.js';
import type { Output } from './validate.js';

const consoleOutput: Output = { out: (l) => console.log(l), err: (l) => console.error(l) };

export async function discordRegister(opts: { guild?: string }, io: Output = consoleOutput): Promise<number> {
  const env = readEnv();
  if (opts.guild !== undefined && !SNOWFLAKE.test(opts.guild)) {
    io.err(`chatops discord register: --guild must be a numeric server id (found "${opts.guild.slice(0, 30)}")`);
    return EXIT.usage;
  }
  try {
    const config = readDiscordConfig(env);
    const project = await loadProject(env.chatopsDir);
    const done = await registerCommands(config, project, opts.guild ?? config.guildId);
    for (const c of done.commands) io.out(`/${c.name}${c.options > 0 ? ` (${c.options} option${c.options === 1 ? '' : 's'})` : ''}`);
    for (const p of done.problems) io.err(`${displayPath(p.file)}: ${p.message}`);
    io.err(`registered ${done.commands.length} command(s) ${done.where}`);
    return EXIT.ok;
  } catch (err) {
    if (err instanceof DiscordConfigError) {
      io.err(`chatops discord register: ${err.message}`);
      return EXIT.failed;
    }
    io.err(`chatops discord register: ${err instanceof Error ? err.message : String(err)}`);
    return EXIT.failed;
  }
}
