/** Small HTML answers for refused or missing pages (the reason in words, nothing else). */
import type { FastifyReply } from 'fastify';
import { html } from './html.js';
import type { LinkCheck } from './link-signing.js';
import { page, SECURITY_HEADERS } from './page-layout.js';

export function sendRefusal(reply: FastifyReply, status: number, title: string, detail: string): FastifyReply {
  const body = html`<main class="refused"><h1>${title}</h1><p>${detail}</p></main>`;
  return reply.code(status).headers(SECURITY_HEADERS).type('text/html; charset=utf-8').send(page({ title, body }));
}

/** The answer to a link that did not verify. */
export function refuseLink(reply: FastifyReply, check: Exclude<LinkCheck, { ok: true }>): FastifyReply {
  switch (check.reason) {
    case 'no-key':
      return sendRefusal(reply, 503, 'Web pages are off', 'This server has no CHATOPS_WEB_KEY set, so it serves no run or incident pages.');
    case 'expired':
      return sendRefusal(reply, 403, 'This link has expired', 'Ask the bot for a fresh link (open the run from its chat message again).');
    default:
      return sendRefusal(reply, 403, 'This link is not valid', 'The link is incomplete or was changed. Open it from its chat message.');
  }
}
