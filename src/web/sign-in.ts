/**
 * Sign-in for the list pages (`/runs`, `/incidents`): CHATOPS_WEB_TOKEN as a bearer header, or
 * entered once in the login form, which sets the session cookie (access.ts); logout clears it.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { SESSION_COOKIE, SESSION_TTL_MS, type WebAccess } from './access.js';
import { html } from './html.js';
import { page, SECURITY_HEADERS } from './page-layout.js';
import { sendRefusal } from './refusal.js';

type ListRequest = FastifyRequest<{ Querystring: Record<string, string | undefined> }>;

/** Whether the request carries the token (bearer) or a live session cookie. */
export function signedIn(access: WebAccess, req: FastifyRequest): boolean {
  return access.bearer(req.headers.authorization) || access.checkSession(req.cookies[SESSION_COOKIE]);
}

function loginPage(reply: FastifyReply, status: number, next: string, problem?: string): FastifyReply {
  const body = html`<main class="refused">
<h1>Sign in</h1>
<p>The run and incident lists need the token this server was given in CHATOPS_WEB_TOKEN.</p>
${problem ? html`<p class="error">${problem}</p>` : ''}
<form method="post" action="/login">
<input type="hidden" name="next" value="${next}">
<label>Token <input type="password" name="token" autocomplete="current-password" required autofocus></label>
<button type="submit">Sign in</button>
</form>
</main>`;
  return reply.code(status).headers(SECURITY_HEADERS).type('text/html; charset=utf-8').send(page({ title: 'Sign in', body }));
}

/** Only local list paths are followed after login (no open redirect). */
function safeNext(next: string | undefined): string {
  return next !== undefined && /^\/(runs|incidents)(\?[^\s]*)?$/.test(next) ? next : '/runs';
}

/**
 * Whether a list may be shown; answers (refusal or login form) and returns false when not.
 */
export function listAllowed(access: WebAccess, req: FastifyRequest, reply: FastifyReply): boolean {
  if (!access.enabled) {
    sendRefusal(reply, 401, 'Lists are off', 'This server has no CHATOPS_WEB_TOKEN set, so it lists nothing. Run and incident pages open from their chat links.');
    return false;
  }
  if (!signedIn(access, req)) {
    loginPage(reply, 401, req.url);
    return false;
  }
  return true;
}

/** The login form, login and logout routes; `secureCookie` when CHATOPS_PUBLIC_URL is https. */
export function registerSignIn(app: FastifyInstance, opts: { access: WebAccess; secureCookie: boolean }): void {
  const { access } = opts;
  app.get('/login', async (req: ListRequest, reply) => loginPage(reply, 200, safeNext(req.query.next)));

  app.post('/login', async (req: FastifyRequest<{ Body: Record<string, string> | undefined }>, reply) => {
    const body = req.body ?? {};
    const next = safeNext(body.next);
    if (!access.enabled) return sendRefusal(reply, 401, 'Lists are off', 'This server has no CHATOPS_WEB_TOKEN set.');
    if (!access.checkToken(body.token)) return loginPage(reply, 401, next, 'That token is not right.');
    reply.setCookie(SESSION_COOKIE, access.session(), { httpOnly: true, sameSite: 'strict', secure: opts.secureCookie, path: '/', maxAge: SESSION_TTL_MS / 1000 });
    return reply.headers(SECURITY_HEADERS).redirect(next, 303);
  });

  app.post('/logout', async (_req, reply) => {
    reply.clearCookie(SESSION_COOKIE, { path: '/' });
    return reply.redirect('/login', 303);
  });
}
