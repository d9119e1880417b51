#!/usr/bin/env node
/**
 * Bundles the command line (bin/chatops.js loads the result): `npm run build` and `prepare` run it
 * after tsc. Node.js resolves and reads each ES module file on its own, and for `chatops --help` and
 * `chatops validate` those hundreds of small files (ours, zod's, yaml's…) were most of the start-up
 * (README, the CLI rows of the benchmarks). One bundle holds them instead:
 *
 * - From the TypeScript sources (src/cli/main.ts): esbuild strips the types, which tsconfig's
 *   isolatedModules and verbatimModuleSyntax keep equivalent to tsc's output.
 * - Code splitting: each subcommand's module, imported when it runs (src/cli/commands.ts), becomes a
 *   chunk of its own, so `--help` reads main.js and little else.
 * - Packages: only the light ones `--help` and `validate` load are bundled (PACKAGES_INSIDE).
 *   Every other package (chat SDKs, BullMQ, ioredis, fastify, pino…) stays external and is imported
 *   from node_modules when a command needs it, as before: their files, native add-ons and worker
 *   scripts stay where they expect to be.
 * - Source maps (dist/cli/*.js.map, positions only, no copies of the sources): bin/chatops.js maps
 *   stack traces through them (src/cli/bundle-stacks.ts), so that they name src/….ts lines.
 * - keepNames: esbuild renames a class or function whose name another module also uses (commander's
 *   CommanderError would become CommanderError2, and its error's `name` comes from the class's);
 *   keeping the names keeps `.name` as unbundled code sees it, for about 15 ms of `validate`.
 * - ES modules have no `require`: the banner gives each chunk one, for the bundled CommonJS packages'
 *   require() calls of Node.js built-ins (commander's `node:events`, …).
 *
 * Usage: node scripts/bundle-cli.mjs [outdir]   (default dist/cli, relative to the repository root)
 */
import { build } from 'esbuild';
import { rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** The packages inside the bundle: what `chatops --help` and `chatops validate` load (test/unit/cli-lazy-load.test.ts). */
const PACKAGES_INSIDE = new Set(['@actions/expressions', 'commander', 'dotenv', 'fastest-levenshtein', 'yaml', 'zod']);

/** `@scope/name/sub/path` → `@scope/name`, `name/sub` → `name`. */
const packageOf = (specifier) => specifier.split('/').slice(0, specifier.startsWith('@') ? 2 : 1).join('/');

/** Leaves every package but PACKAGES_INSIDE (and Node.js built-ins, which esbuild knows) external. */
const otherPackagesExternal = {
  name: 'other-packages-external',
  setup(b) {
    // Bare specifiers only: relative and absolute paths are our own files or inside a bundled package.
    b.onResolve({ filter: /^[^./]/ }, ({ path }) =>
      path.startsWith('node:') || PACKAGES_INSIDE.has(packageOf(path)) ? undefined : { path, external: true },
    );
  },
};

const outdir = resolve(ROOT, process.argv[2] ?? 'dist/cli');
// The chunks' names carry a hash of their contents: clear out the previous build's.
rmSync(outdir, { recursive: true, force: true });

await build({
  absWorkingDir: ROOT,
  entryPoints: { main: 'src/cli/main.ts' },
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: 'linked',
  sourcesContent: false,
  keepNames: true,
  banner: { js: "import { createRequire as __chatopsCreateRequire } from 'node:module'; const require = __chatopsCreateRequire(import.meta.url);" },
  plugins: [otherPackagesExternal],
  logLevel: 'warning',
});
