/**
 * The `chatops` command line: parses arguments with commander and hands off to one module per
 * subcommand. Usage errors (unknown subcommand or flag, missing argument) exit with code 2.
 */
import { Command, CommanderError } from 'commander';
import { register as registerAlert } from './alert.js';
import { register as registerApprove } from './approve.js';
import { register as registerAudit } from './audit.js';
import { register as registerCancel } from './cancel.js';
import { register as registerDiscord } from './discord.js';
import { register as registerDocs } from './docs.js';
import { register as registerIncidents } from './incidents.js';
import { register as registerPostmortem } from './postmortem.js';
import { register as registerReload } from './reload.js';
import { register as registerRun } from './run.js';
import { register as registerServe } from './serve.js';
import { register as registerShell } from './shell.js';
import { register as registerStatus } from './status.js';
import { register as registerTranscript } from './transcript.js';
import { register as registerValidate } from './validate.js';
import { register as registerWorker } from './worker.js';
import { register as registerWorkers } from './workers.js';
import { EXIT } from './exit-codes.js';

export function buildProgram(): Command {
  const program = new Command('chatops')
    .description('Run YAML runbooks from chat, alerts and the terminal, on a durable job queue.')
    .version(process.env.npm_package_version ?? '0.1.0')
    .showSuggestionAfterError(true)
    .exitOverride();
  for (const register of [registerShell, registerServe, registerWorker, registerWorkers, registerReload, registerRun, registerStatus, registerCancel, registerApprove, registerTranscript, registerIncidents, registerAlert, registerPostmortem, registerAudit, registerValidate, registerDocs, registerDiscord]) {
    register(program);
  }
  for (const sub of program.commands) {
    sub.exitOverride();
    for (const nested of sub.commands) nested.exitOverride();
  }
  return program;
}

export async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (err) {
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
