/**
 * `npm ci` on a fresh clone is quiet (issue 14): no locked package wants a Node.js the project does
 * not run on (npm would print `EBADENGINE`), and every install script in the lock is explicitly
 * approved or denied in package.json's `allowScripts` (npm 11 would list it as unreviewed).
 * The light-my-request override (cookie 1 instead of 2, which wants Node 22) is exercised through
 * fastify.inject with cookies, the code path that calls the overridden package.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import Fastify from 'fastify';
import fastifyCookie from '@fastify/cookie';

interface LockEntry {
  version?: string;
  engines?: { node?: string } | string[];
  hasInstallScript?: boolean;
}
interface PackageJson {
  engines: { node: string };
  allowScripts?: Record<string, boolean>;
}

const root = fileURLToPath(new URL('../..', import.meta.url));
const pkg = JSON.parse(readFileSync(`${root}package.json`, 'utf8')) as PackageJson;
const lock = JSON.parse(readFileSync(`${root}package-lock.json`, 'utf8')) as { packages: Record<string, LockEntry> };
// npm's own range logic (semver is in the tree through npm's and several dependencies' use of it; no types of its own here).
const semver = createRequire(import.meta.url)('semver') as {
  minVersion(range: string): { version: string } | null;
  satisfies(version: string, range: string): boolean;
};

const nameOf = (path: string) => path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length);

describe('package-lock.json installs quietly on the Node.js the project supports', () => {
  const oldest = semver.minVersion(pkg.engines.node)?.version ?? 'no version in engines.node';

  test('the oldest supported Node.js and this one satisfy every locked package engines.node', () => {
    expect(semver.satisfies(oldest, pkg.engines.node)).toBe(true);
    const excluded: string[] = [];
    for (const [path, entry] of Object.entries(lock.packages)) {
      const wanted = !Array.isArray(entry.engines) ? entry.engines?.node : undefined;
      if (path === '' || wanted === undefined) continue;
      for (const version of [oldest, process.versions.node]) {
        if (!semver.satisfies(version, wanted)) excluded.push(`${nameOf(path)}@${entry.version} wants node ${wanted}, not ${version}`);
      }
    }
    expect(excluded).toEqual([]);
  });

  test('every package with an install script is approved or denied in allowScripts', () => {
    const policy = pkg.allowScripts ?? {};
    const unreviewed = Object.entries(lock.packages)
      .filter(([, entry]) => entry.hasInstallScript === true)
      .map(([path]) => nameOf(path))
      .filter((name) => typeof policy[name] !== 'boolean');
    expect(unreviewed).toEqual([]);
  });

  test('light-my-request (fastify.inject) sends cookies with the overridden cookie package', async () => {
    const app = Fastify();
    await app.register(fastifyCookie);
    app.get('/echo', async (req) => ({ cookies: req.cookies }));
    try {
      const res = await app.inject({ method: 'GET', url: '/echo', cookies: { session: 'a b;c', theme: 'dark' } });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({ cookies: { session: 'a b;c', theme: 'dark' } });
    } finally {
      await app.close();
    }
  });
});
