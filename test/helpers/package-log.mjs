// `node --import ./test/helpers/package-log.mjs …`: appends the name of each package an import
// resolves into (…/node_modules/NAME/…) to the file $CHATOPS_PACKAGE_LOG, one per line. This file
// is both the --import entry (which registers it) and the module hook. Imports only: a package's
// own require() calls are not seen, the package that made them is.
import { appendFileSync } from 'node:fs';
import { register } from 'node:module';
import { isMainThread } from 'node:worker_threads';

if (isMainThread) register(import.meta.url);

const PACKAGE = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//;

export async function resolve(specifier, context, next) {
  const resolved = await next(specifier, context);
  const name = PACKAGE.exec(resolved.url)?.[1];
  if (name !== undefined && process.env.CHATOPS_PACKAGE_LOG) appendFileSync(process.env.CHATOPS_PACKAGE_LOG, `${name}\n`);
  return resolved;
}
