/**
 * The command line's start-up: wall time of `chatops --help` and `chatops validate` on the examples,
 * each a fresh process, as a multiple of `node -e 0` measured in the same rounds (interleaved, so a
 * busy machine slows all three alike). Medians over the rounds.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { fmt, percentile, type Row } from './stats.js';

/** The repository root: this file runs as dist/bench/cli.js. */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CHATOPS = fileURLToPath(new URL('../../bin/chatops.js', import.meta.url));

const COMMANDS = {
  node: ['-e', '0'],
  help: [CHATOPS, '--help'],
  validate: [CHATOPS, 'validate', ROOT],
} as const;

function timeOnce(args: readonly string[]): number {
  const started = performance.now();
  const r = spawnSync(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });
  const ms = performance.now() - started;
  if (r.status !== 0) throw new Error(`node ${args.join(' ')} exited ${r.status ?? r.signal}: ${r.stderr.toString().slice(0, 500)}`);
  return ms;
}

export function runCliBench(opts: { rounds: number; progress: (what: string) => void }): Row[] {
  opts.progress(`CLI start-up: node -e 0, chatops --help, chatops validate, ${opts.rounds} rounds`);
  const times: Record<keyof typeof COMMANDS, number[]> = { node: [], help: [], validate: [] };
  for (const name of Object.keys(COMMANDS) as (keyof typeof COMMANDS)[]) timeOnce(COMMANDS[name]); // warm the file cache
  for (let i = 0; i < opts.rounds; i++) {
    for (const name of Object.keys(COMMANDS) as (keyof typeof COMMANDS)[]) times[name].push(timeOnce(COMMANDS[name]));
  }
  const node = percentile(times.node, 50);
  const row = (metric: string, samples: number[], target: number): Row => {
    const ms = percentile(samples, 50);
    return { metric, value: `${fmt(ms / node, 1)}× (${fmt(ms, 0)} ms; node -e 0: ${fmt(node, 0)} ms)`, target: `≤ ${target}×`, pass: ms / node <= target };
  };
  return [
    row('`chatops --help`, a fresh process, median ÷ `node -e 0`', times.help, 3),
    row('`chatops validate` of the examples, a fresh process, median ÷ `node -e 0`', times.validate, 5),
  ];
}
