/**
 * Parses the body of a request to POST /slack/events the way Slack sends it: slash commands as
 * form fields, interactivity as a form field `payload` holding JSON, Events API as JSON.
 * Anything else is malformed (400), and nothing is started.
 */
export type SlackBody = Record<string, unknown>;

export type ParsedSlackBody = { ok: true; body: SlackBody; sslCheck: boolean } | { ok: false; reason: string };

function isRecord(v: unknown): v is SlackBody {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function parseSlackBody(contentType: string | undefined, raw: string): ParsedSlackBody {
  const type = (contentType ?? '').split(';')[0]?.trim().toLowerCase();
  let body: unknown;
  if (type === 'application/json') {
    try {
      body = JSON.parse(raw);
    } catch {
      return { ok: false, reason: 'body is not valid JSON' };
    }
  } else if (type === 'application/x-www-form-urlencoded') {
    const form = Object.fromEntries(new URLSearchParams(raw));
    if (form.ssl_check === '1') return { ok: true, body: {}, sslCheck: true };
    if (typeof form.payload === 'string') {
      try {
        body = JSON.parse(form.payload);
      } catch {
        return { ok: false, reason: 'form field payload is not valid JSON' };
      }
    } else {
      body = form;
    }
  } else {
    return { ok: false, reason: `unsupported content type ${type || '(none)'}` };
  }
  if (!isRecord(body)) return { ok: false, reason: 'body is not an object' };
  const known = typeof body.command === 'string' || typeof body.type === 'string';
  if (!known) return { ok: false, reason: 'neither a slash command, an interaction nor an event' };
  return { ok: true, body, sslCheck: false };
}
