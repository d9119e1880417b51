/**
 * The `chatops` command line: parses arguments with commander and hands off to one module per
 * subcommand, loaded when that subcommand runs (commands.ts). Usage errors (unknown subcommand or flag,
 * missing argument) exit with code 2.
 */
import { Command, CommanderError } from 'commander';
import { declareCommands } from './commands.js';
import { EXIT } from './exit-codes.js';
import { RedisUnreachableError } from '../lib/redis-unreachable.js';

// bin/chatops.js calls it before runCli when it runs the bundle.
export { mapBundleStacks } from './bundle-stacks.js';

export function buildProgram(): Command {
  const program = new Command('chatops')
    .description('Run YAML runbooks from chat, alerts and the terminal, on a durable job queue.')
    .version(process.env.npm_package_version ?? '0.1.0')
    .showSuggestionAfterError(true)
    .exitOverride();
  declareCommands(program);
  // The subcommand running, to name it in a failure line (`chatops status: Redis unreachable …`).
  program.hook('preAction', (_program, action) => {
    running = action;
  });
  for (const sub of program.commands) {
    sub.exitOverride();
    for (const nested of sub.commands) nested.exitOverride();
  }
  return program;
}

let running: Command | undefined;

/** `chatops alert fire`: the subcommand's words, below `chatops`. */
function commandWords(cmd: Command | undefined): string {
  const words: string[] = [];
  for (let c = cmd; c?.parent; c = c.parent) words.unshift(c.name());
  return words.join(' ');
}

export async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof RedisUnreachableError) {
      // One line and exit 1, not a hung terminal: a one-shot command gives up on a Redis that is away.
      console.error(`chatops ${commandWords(running)}: ${err.message}`);
      process.exitCode = EXIT.failed;
      return;
    }
    if (err instanceof CommanderError) {
      // Help and version "errors" are successful exits; everything else is a usage error.
      process.exitCode = err.exitCode === 0 ? EXIT.ok : EXIT.usage;
      return;
    }
    throw err;
  }
}

/** After the command returned, the process exits by itself or, at the latest, this much later. */
const LINGER_MS = 1000;

/**
 * The process entry (bin/chatops.js): runs the command, then makes sure the process ends. Whatever a
 * library still holds open after a clean close (BullMQ's blocking connection retrying an unreachable
 * Redis) must not keep it alive. Kept out of main() so tests can call main() in-process.
 */
export async function runCli(argv: string[]): Promise<void> {
  await main(argv);
  setTimeout(() => process.exit(), LINGER_MS).unref();
}
