/**
 * The pages' own files, served by the bot itself (no CDN): the stylesheet and client script from
 * src/web/client/, and Mermaid's browser build from its npm package. Read once, kept in memory.
 */
import type { FastifyInstance } from 'fastify';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { packageRoot } from '../lib/package-info.js';
import { ASSET_BASE, SECURITY_HEADERS } from './page-layout.js';

const TYPES: Record<string, string> = { '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8' };

export function assetFiles(): Record<string, string> {
  const client = join(packageRoot(), 'src', 'web', 'client');
  return {
    'run-page.js': join(client, 'run-page.js'),
    'style.css': join(client, 'style.css'),
    'mermaid.min.js': createRequire(import.meta.url).resolve('mermaid/dist/mermaid.min.js'),
  };
}

export async function registerAssets(app: FastifyInstance): Promise<void> {
  const files = assetFiles();
  const cache = new Map<string, Buffer>();
  app.get<{ Params: { file: string } }>(`${ASSET_BASE}/:file`, async (req, reply) => {
    const path = Object.hasOwn(files, req.params.file) ? files[req.params.file] : undefined;
    if (path === undefined) return reply.code(404).type('text/plain').send('no such file');
    let body = cache.get(path);
    if (body === undefined) {
      body = await readFile(path);
      cache.set(path, body);
    }
    const ext = path.slice(path.lastIndexOf('.'));
    return reply
      .headers({ ...SECURITY_HEADERS, 'cache-control': 'public, max-age=300' })
      .type(TYPES[ext] ?? 'application/octet-stream')
      .send(body);
  });
}
