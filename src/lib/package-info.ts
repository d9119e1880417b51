/** The bot's own package: where it is installed (src/… or dist/src/… below it) and its version. */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package's root: the nearest folder up from here holding package.json (src/lib or dist/src/lib). */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('chatops: package.json not found above ' + fileURLToPath(import.meta.url));
    dir = up;
  }
  return dir;
}

let version: string | undefined;

/** The version in package.json (what `chatops workers` shows for each worker). */
export function packageVersion(): string {
  if (version === undefined) {
    const parsed = JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version?: unknown };
    version = typeof parsed.version === 'string' ? parsed.version : 'unknown';
  }
  return version;
}
