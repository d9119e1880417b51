/**
 * Signed webhooks (Slack, Discord, alerts) must verify the signature over the exact bytes sent, so
 * their routes receive the raw body as a Buffer instead of parsed JSON. Register such routes inside
 * `rawBodyScope`: the content-type parsers are replaced only in that encapsulated scope, every
 * content type is accepted as bytes, and the body size limit is enforced (413 beyond it).
 */
import type { FastifyInstance } from 'fastify';

export const DEFAULT_SIGNED_BODY_LIMIT = 1024 * 1024;

export async function rawBodyScope(server: FastifyInstance, bodyLimit: number, register: (scope: FastifyInstance) => void | Promise<void>): Promise<void> {
  await server.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit }, (_req, body, done) => done(null, body));
    await register(scope);
  });
}

/** The raw body of a request registered in `rawBodyScope` (empty when the client sent none). */
export function rawBodyOf(body: unknown): Buffer {
  return Buffer.isBuffer(body) ? body : Buffer.alloc(0);
}
