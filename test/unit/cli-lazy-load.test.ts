/**
 * The command line loads what a command needs (src/cli/commands.ts), as a user runs it: bin/chatops.js
 * on the bundle (scripts/bundle-cli.mjs; jest's global setup rebuilds it from the sources).
 * `chatops --help` and `chatops validate` find everything they need in the bundle, whose only
 * packages are the light ones they use (commander, yaml, zod…: PACKAGES_INSIDE); every other
 * package (engine, Redis, HTTP, chat SDKs) is external, imported from node_modules only by the
 * commands that use it, which a module hook logs here. (`BENCH_ONLY=cli npm run bench` times them.)
 */
import { describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Runs bin/chatops.js with the package-log hook: exit code, stdout and stderr together, and the packages imported from node_modules. */
async function packagesLoadedBy(args: string[]): Promise<{ code: number | null; output: string; packages: string[] }> {
  const dir = await mkdtemp(join(tmpdir(), 'chatops-lazy-'));
  const log = join(dir, 'packages');
  try {
    const child = spawn(process.execPath, ['--import', './test/helpers/package-log.mjs', 'bin/chatops.js', ...args], {
      env: { ...process.env, NODE_OPTIONS: '', CHATOPS_PACKAGE_LOG: log },
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 60_000,
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    const text = await readFile(log, 'utf8').catch(() => '');
    return { code, output, packages: [...new Set(text.split('\n').filter(Boolean))].sort() };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

describe('what a command loads', () => {
  it('chatops --help prints the commands and imports no package from node_modules', async () => {
    const { code, output, packages } = await packagesLoadedBy(['--help']);
    expect(code).toBe(0);
    expect(output).toMatch(/^Usage: chatops/);
    expect(output).toContain('validate');
    expect(packages).toEqual([]);
  });

  it('chatops validate checks the examples and imports no package from node_modules', async () => {
    const { code, output, packages } = await packagesLoadedBy(['validate', '.']);
    expect(code).toBe(0);
    expect(output).toMatch(/^ok: \d+ workflow/);
    // A package bundled for it (PACKAGES_INSIDE) costs every `chatops validate` its load time: measure it with the bench.
    expect(packages).toEqual([]);
  });
});
