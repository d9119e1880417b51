/**
 * Every `chatops` subcommand: its arguments, options and help, and an action that loads the
 * subcommand's module only when it runs. `chatops --help` and `chatops validate` so load commander
 * and what they use, not the engine, Redis client, HTTP server and chat SDKs the others need
 * (`BENCH_ONLY=cli npm run bench` measures them). A new subcommand is declared here the same way.
 */
import type { Command } from 'commander';
import type { AuditOptions } from './audit.js';
import type { RunOptions } from './run.js';
import type { ServeOptions } from './serve.js';
import type { WorkerOptions } from './worker.js';

/** Sets the process's exit code from a subcommand's result. */
function exitWith(code: number): void {
  process.exitCode = code;
}

function declareChat(program: Command): void {
  program
    .command('shell')
    .description('chat with the bot in this terminal: front, worker and (dev mode) a private Redis in one process')
    .option('--as <user>', 'act as this user (policy identity shell:USER); default $CHATOPS_USER, else $USER')
    .action(async (opts: { as?: string }) => (await import('./shell.js')).shellCommand(opts));
  program
    .command('serve')
    .description('the front: Slack, Discord, alert webhooks, health and metrics on one HTTP port ($PORT, default 3000)')
    .option('--port <port>', 'HTTP port (overrides $PORT)')
    .action(async (opts: ServeOptions) => exitWith(await (await import('./serve.js')).serveCommand(opts)));
  program
    .command('worker')
    .description('run workflow steps from the queue')
    .option('-c, --concurrency <n>', 'steps run at once by this process, per pool', '8')
    .option('-p, --pool <name>', 'serve this worker pool (runs_on:); repeat for more; default: the default pool', (v: string, prev: string[] | undefined) => [...(prev ?? []), v])
    .action(async (opts: WorkerOptions) => exitWith(await (await import('./worker.js')).workerCommand(opts)));
  program
    .command('workers')
    .description('list the live workers: pools, concurrency, version and the steps they hold')
    .option('--json', 'print them as a JSON array')
    .action(async (opts: { json?: boolean }) => exitWith(await (await import('./workers.js')).workersCommand(opts)));
  program
    .command('reload')
    .description('make every serve and worker read its runbooks again (commands/, workflows/, policy.yaml, alerts.yaml) and print their versions')
    .option('--wait <duration>', 'how long to wait for the answers', '10s')
    .action(async (opts: { wait?: string }) => exitWith(await (await import('./reload.js')).reloadCommand(opts)));
}

function declareRuns(program: Command): void {
  program
    .command('run')
    .description('run a workflow and print its steps live; exit 0 succeeded, 1 failed, 130 cancelled')
    .argument('<workflow>', 'workflow name')
    .option('-i, --input <key=value>', 'an input (repeat for more)', (v: string, prev: string[]) => [...prev, v], [] as string[])
    .option('--json', 'print only the final run record as JSON on stdout')
    .option('--local', 'also run steps in this process (no `chatops worker` needed)')
    .action(async (workflow: string, opts: RunOptions) => exitWith(await (await import('./run.js')).runCommand(workflow, opts)));
  program
    .command('status')
    .description('show a run and its steps; exit 2 when the run is unknown')
    .argument('<run>', 'run id, e.g. r-7f3k2q')
    .option('--json', 'print the run record as JSON')
    .action(async (runId: string, opts: { json?: boolean }) => exitWith(await (await import('./status.js')).statusCommand(runId, opts)));
  program
    .command('cancel')
    .description('cancel a run: running steps are killed, queued ones never start')
    .argument('<run>', 'run id')
    .option('--as <user>', 'who cancels (default $CHATOPS_USER or $USER)')
    .action(async (runId: string, opts: { as?: string }) => exitWith(await (await import('./cancel.js')).cancelCommand(runId, opts)));
  for (const decision of ['approve', 'deny'] as const) {
    program
      .command(decision)
      .description(`${decision} a run's waiting approval`)
      .argument('<run>', 'run id')
      .option('--as <user>', 'who decides: a name (shell:NAME in policy) or a full identity such as slack:U123 (default $CHATOPS_USER or $USER)')
      .option('--step <id>', 'the approval step, when the run has several')
      .action(async (runId: string, opts: { as?: string; step?: string }) => exitWith(await (await import('./approve.js')).decideCommand(decision, runId, opts)));
  }
  program
    .command('transcript')
    .description('print a run as a Markdown timeline')
    .argument('<run>', 'run id')
    .action(async (runId: string) => exitWith(await (await import('./transcript.js')).transcriptCommand(runId)));
}

function declareIncidents(program: Command): void {
  program
    .command('incidents')
    .description('list recent incidents, the latest change first')
    .option('--limit <n>', 'how many', '20')
    .action(async (opts: { limit: string }) => exitWith(await (await import('./incidents.js')).incidentsCommand(opts.limit)));
  program
    .command('incident')
    .description('show one incident: its state, alerts, and the runs it started')
    .argument('<id>', 'incident id (i-xxxxxx)')
    .action(async (id: string) => exitWith(await (await import('./incidents.js')).incidentCommand(id)));
  const alert = program.command('alert').description('send a hand-made alert to the running bot (try the alert flow without a monitoring system)');
  alert
    .command('fire')
    .description('fire (or with --resolve, resolve) an alert: ALERTNAME [label=value …]')
    .argument('<words...>', 'ALERTNAME then label=value pairs')
    .option('--resolve', 'resolve the alert instead of firing it')
    .option('--url <url>', 'where chatops serve listens (default http://127.0.0.1:$PORT)')
    .action(async (words: string[], opts: { url?: string; resolve?: boolean }) =>
      exitWith(await (await import('./alert.js')).alertFire(opts.resolve ? [...words, '--resolve'] : words, opts)),
    );
  program
    .command('postmortem')
    .description("print an incident's postmortem draft (Markdown): summary, timeline in UTC, runs, sections to fill in")
    .argument('<incident>', 'incident id (i-xxxxxx)')
    .option('--out <file>', 'write it to this file instead of standard output')
    .action(async (incidentId: string, opts: { out?: string }) => exitWith(await (await import('./postmortem.js')).postmortemCommand(incidentId, opts.out)));
  program
    .command('audit')
    .description('who started, approved, denied, cancelled, acknowledged, silenced or resolved what, or was refused, when and where (the audit trail)')
    .option('--since <duration>', 'how far back, e.g. 30m, 24h, 7d (entries are kept as long as runs: CHATOPS_RETENTION)', '24h')
    .option('--who <id>', 'only this person: an account (slack:U123, or U123) or a person of policy.yaml')
    .option('--json', 'one JSON object per line (for a SIEM)')
    .action(async (opts: AuditOptions) => exitWith(await (await import('./audit.js')).auditCommand(opts)));
}

function declareFiles(program: Command): void {
  program
    .command('validate')
    .description('check workflows, commands and policy; one FILE:LINE:COL: message per problem, exit 1 on any error')
    .argument('[paths...]', 'project folders or files (default: $CHATOPS_DIR or the current folder)')
    .addHelpText('after', '\nWarnings (such as a missing policy.yaml) are printed but do not fail.')
    .action(async (paths: string[]) => {
      (await import('./one-shot.js')).tuneForOneShot();
      exitWith(await (await import('./validate.js')).validateCommand(paths));
    });
  program
    .command('docs')
    .description('render each workflow as a Markdown runbook with a Mermaid diagram of its steps')
    .option('--out <dir>', 'output folder (default: docs/runbooks in the project folder)')
    .option('--dir <dir>', 'project folder (default: $CHATOPS_DIR or the current folder)')
    .addHelpText('after', '\nOutput is deterministic: the same files give the same bytes, so runbooks can be committed and diffed.')
    .action(async (opts: { out?: string; dir?: string }) => exitWith(await (await import('./docs.js')).docsCommand(opts)));
  const discord = program.command('discord').description('Discord application setup');
  discord
    .command('register')
    .description("overwrite the Discord application's commands with /ops and this project's typed commands (idempotent)")
    .option('--guild <id>', 'register to this server (at once) instead of globally (up to an hour); default $DISCORD_GUILD_ID')
    .action(async (opts: { guild?: string }) => exitWith(await (await import('./discord.js')).discordRegister(opts)));
}

/** Declares every subcommand on `program`, in the order `chatops --help` lists them. */
export function declareCommands(program: Command): void {
  declareChat(program);
  declareRuns(program);
  declareIncidents(program);
  declareFiles(program);
}
