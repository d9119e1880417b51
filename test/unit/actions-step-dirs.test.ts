/** sweepStepDirs: step folders of workers that died (kill -9) are removed at start; live workers' folders stay. */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from '@jest/globals';
import { sweepStepDirs } from '../../src/actions/outputs-file.js';

describe('actions: sweeping step folders left by dead workers', () => {
  let dir = '';
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('removes the folders of pids no longer running and old folders of the old naming, keeps the rest', async () => {
    dir = mkdtempSync(join(tmpdir(), 'sweep-test-'));
    const dead = spawnSync(process.execPath, ['-e', ''], { stdio: 'ignore' }).pid;
    const names = [`chatops-step-${dead}-aB3dEf`, `chatops-step-${process.pid}-x1y2z3`, 'chatops-step-1-q9w8e7', 'chatops-step-OLDnew', 'chatops-step-OLDold', 'unrelated'];
    for (const n of names) mkdirSync(join(dir, n));
    const dayAndABit = (Date.now() - 25 * 3_600_000) / 1000;
    utimesSync(join(dir, 'chatops-step-OLDold'), dayAndABit, dayAndABit);
    expect(await sweepStepDirs(dir)).toBe(2);
    expect(readdirSync(dir).sort()).toEqual([`chatops-step-${process.pid}-x1y2z3`, 'chatops-step-1-q9w8e7', 'chatops-step-OLDnew', 'unrelated'].sort());
  });
});
