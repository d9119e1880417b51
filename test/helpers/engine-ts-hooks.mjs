// Module hooks for engine-ts-loader.mjs: `./x.js` imports resolve to `./x.ts` when that exists,
// and .ts files are transpiled by SWC.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import swc from '@swc/core';

export async function resolve(specifier, context, next) {
  if (specifier.endsWith('.js') && (specifier.startsWith('.') || specifier.startsWith('/') || specifier.startsWith('file:')) && context.parentURL) {
    const ts = `${new URL(specifier, context.parentURL).href.slice(0, -3)}.ts`;
    if (existsSync(fileURLToPath(ts))) return { url: ts, format: 'module', shortCircuit: true };
  }
  return next(specifier, context);
}

export async function load(url, context, next) {
  if (url.startsWith('file:') && url.endsWith('.ts')) {
    const file = fileURLToPath(url);
    const source = await readFile(file, 'utf8');
    const { code } = swc.transformSync(source, { filename: file, jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'es6' } });
    return { format: 'module', source: code, shortCircuit: true };
  }
  return next(url, context);
}
