#!/usr/bin/env node
// The `chatops` command: runs the compiled CLI (built by `npm install` through the `prepare` script).
import('../dist/src/cli/main.js').then((m) => m.runCli(process.argv)).catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
