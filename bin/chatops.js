#!/usr/bin/env node
// The `chatops` command: runs the bundled CLI, dist/cli/main.js (built by `npm install` through the
// `prepare` script: tsc, then scripts/bundle-cli.mjs), with stack traces naming the sources.
import('../dist/cli/main.js')
  .then((cli) => {
    cli.mapBundleStacks();
    return cli.runCli(process.argv);
  })
  .catch((err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
