/** Runs the CLI from the TypeScript sources in a child process (with engine-ts-loader.mjs), as `bin/chatops.js` runs the build. */
import { runCli } from '../../src/cli/main.js';

await runCli(process.argv);
