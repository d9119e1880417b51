/**
 * Stack traces through the bundled command line (dist/cli, which jest's global setup rebuilds) name
 * the original files once bin/chatops.js has called mapBundleStacks (src/cli/bundle-stacks.ts).
 */
import { describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The stack of commander's error for an unknown flag (commander is bundled), with or without mapBundleStacks. */
async function commanderStack(mapped: boolean): Promise<{ head: string; frames: string[] }> {
  const script = [
    "const cli = await import('./dist/cli/main.js');",
    mapped ? 'cli.mapBundleStacks();' : '',
    "try { cli.buildProgram().parse(['node', 'chatops', '--no-such-flag']); } catch (err) { console.log(err.stack); }",
  ].join('\n');
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], { env: { ...process.env, NODE_OPTIONS: '' }, timeout: 60_000 });
  const lines = stdout.split('\n');
  return { head: lines[0] ?? '', frames: lines.filter((l) => l.startsWith('    at ')) };
}

describe('stack traces of the bundled command line', () => {
  it('name the bundle without mapBundleStacks', async () => {
    const { frames } = await commanderStack(false);
    expect(frames[0]).toMatch(/\/dist\/cli\/[\w-]+\.js:\d+:\d+\)$/);
  });

  it('name the original files, and the error its class, with it', async () => {
    const { head, frames } = await commanderStack(true);
    expect(head).toBe("CommanderError: error: unknown option '--no-such-flag'");
    expect(frames[0]).toMatch(/\/node_modules\/commander\/lib\/command\.js:\d+:\d+\)$/);
    expect(frames.filter((f) => f.includes('/dist/cli/'))).toEqual([]);
  });
});
