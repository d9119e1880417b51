/**
 * The command line loads what a command needs (src/cli/commands.ts): `chatops --help` only
 * commander, `chatops validate` only the file checks' packages, never the engine, Redis, HTTP or chat
 * SDKs. Each runs as a child process from the sources, its package imports logged by a module hook.
 * (`BENCH_ONLY=cli npm run bench` times them.)
 */
import { describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

async function packagesLoadedBy(args: string[]): Promise<{ code: number | null; packages: string[] }> {
  const dir = await mkdtemp(join(tmpdir(), 'chatops-lazy-'));
  const log = join(dir, 'packages');
  try {
    const child = spawn(process.execPath, ['--import', './test/helpers/engine-ts-loader.mjs', '--import', './test/helpers/package-log.mjs', 'test/helpers/engine-cli-entry.ts', ...args], {
      env: { ...process.env, NODE_OPTIONS: '', CHATOPS_PACKAGE_LOG: log },
      stdio: 'ignore',
      timeout: 60_000,
    });
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    const text = await readFile(log, 'utf8').catch(() => '');
    return { code, packages: [...new Set(text.split('\n').filter(Boolean))].sort() };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

describe('what a command loads', () => {
  it('chatops --help loads commander and nothing else', async () => {
    const { code, packages } = await packagesLoadedBy(['--help']);
    expect(code).toBe(0);
    expect(packages).toEqual(['commander']);
  });

  it('chatops validate loads the file checks, not the engine, Redis, HTTP or chat SDKs', async () => {
    const { code, packages } = await packagesLoadedBy(['validate', '.']);
    expect(code).toBe(0);
    // A package added here costs every `chatops validate` its load time: measure it with the bench.
    const allowed = ['@actions/expressions', 'commander', 'dotenv', 'fastest-levenshtein', 'yaml', 'zod'];
    expect(packages.filter((p) => !allowed.includes(p))).toEqual([]);
    expect(packages).toEqual(expect.arrayContaining(['yaml', 'zod']));
  });
});
