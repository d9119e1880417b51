/**
 * `chatops alert fire ALERTNAME [label=value …] [--resolve] [--url URL]`: sends a hand-made alert to
 * a running bot's generic route (`POST URL/alerts/generic`, default http://127.0.0.1:$PORT) with the
 * first ALERT_TOKEN as bearer token, so the incident, its runbooks and its thread follow as for any
 * alert. In `chatops shell`, `alert fire …` does the same inside the shell's own process.
 */
import { firedBody, parseFireArgs } from '../alerts/fire.js';
import { readEnv } from '../config/env.js';
import { EXIT } from './exit-codes.js';

export async function alertFire(words: string[], opts: { url?: string }): Promise<number> {
  const parsed = parseFireArgs(words);
  if ('error' in parsed) {
    console.error(`chatops alert fire: ${parsed.error}`);
    return EXIT.usage;
  }
  const env = readEnv();
  const token = (env.ALERT_TOKEN ?? '').split(',')[0]?.trim();
  if (!token) {
    console.error('chatops alert fire: set ALERT_TOKEN to the token the bot takes on its alert routes (the generic route refuses everything without it)');
    return EXIT.usage;
  }
  const url = `${(opts.url ?? `http://127.0.0.1:${env.PORT}`).replace(/\/+$/, '')}/alerts/generic`;
  let res: Response;
  try {
    res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify(firedBody(parsed)), signal: AbortSignal.timeout(10_000) });
  } catch (err) {
    console.error(`chatops alert fire: could not reach ${url}: ${err instanceof Error ? err.message : String(err)} (is chatops serve running? --url says where)`);
    return EXIT.failed;
  }
  const body = await res.text();
  if (res.status !== 202) {
    console.error(`chatops alert fire: ${url} answered ${res.status}: ${body.slice(0, 500)}`);
    return EXIT.failed;
  }
  console.log(`${parsed.name} ${parsed.resolve ? 'resolved' : 'fired'}: ${body}`);
  return EXIT.ok;
}
