// Lets a plain `node` child process run the TypeScript sources without a build (for tests that
// spawn and SIGKILL a real worker process): `node --import ./test/helpers/engine-ts-loader.mjs x.ts`.
// Same transpiler as jest (SWC), no type checking.
import { register } from 'node:module';

register('./engine-ts-hooks.mjs', import.meta.url);
