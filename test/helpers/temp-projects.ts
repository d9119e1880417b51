/** For jest test files only: project folders removed after each test. */
import { afterEach } from '@jest/globals';
import { rmSync } from 'node:fs';
import { makeProjectDir } from './project-dir.js';

/** `project(files)`: a fresh temp dir as makeProjectDir makes it, removed after each test of the file that calls this. */
export function projectDirsRemovedAfterEach(name: string): (files: Record<string, string>) => string {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  return (files) => {
    const dir = makeProjectDir(files, name);
    dirs.push(dir);
    return dir;
  };
}
