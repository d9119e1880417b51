/**
 * The part of Alertmanager's API v2 the bot uses: silences (POST /api/v2/silences, GET and
 * DELETE /api/v2/silence/{id}), at ALERTMANAGER_URL. Errors carry Alertmanager's answer so a user
 * sees why a silence was refused.
 */

export interface SilenceMatcher {
  name: string;
  value: string;
  isRegex: boolean;
  isEqual: boolean;
}

export interface SilenceRequest {
  matchers: SilenceMatcher[];
  startsAt: string;
  endsAt: string;
  createdBy: string;
  comment: string;
}

export interface Silence extends SilenceRequest {
  id: string;
  status: { state: 'active' | 'pending' | 'expired' };
}

export class AlertmanagerError extends Error {
  readonly code = 'E_ALERTMANAGER';
  constructor(message: string) {
    super(message);
    this.name = 'AlertmanagerError';
  }
}

/** Equality matchers from a group's common labels (what every alert of the incident shares). */
export function matchersOf(labels: Record<string, string>): SilenceMatcher[] {
  return Object.entries(labels)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, value]) => ({ name, value, isRegex: false, isEqual: true }));
}

export function matcherText(m: SilenceMatcher): string {
  return `${m.name}${m.isEqual ? '' : '!'}${m.isRegex ? '=~' : '='}${JSON.stringify(m.value)}`;
}

export class AlertmanagerApi {
  private readonly base: string;

  constructor(
    baseUrl: string,
    private readonly fetchFn: typeof fetch = fetch,
  ) {
    this.base = baseUrl.replace(/\/+$/, '');
  }

  private async call(method: string, path: string, body?: unknown): Promise<Response> {
    let res: Response;
    try {
      res = await this.fetchFn(`${this.base}${path}`, {
        method,
        headers: body !== undefined ? { 'content-type': 'application/json' } : {},
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        signal: AbortSignal.timeout(10_000),
      });
    } catch (err) {
      throw new AlertmanagerError(`Alertmanager at ${this.base} did not answer: ${(err as Error).message}`);
    }
    if (!res.ok) {
      const text = (await res.text().catch(() => '')).slice(0, 300).trim();
      throw new AlertmanagerError(`Alertmanager answered ${method} ${path} with HTTP ${res.status}${text ? `: ${text}` : ''}`);
    }
    return res;
  }

  /** Creates a silence; its id. */
  async createSilence(s: SilenceRequest): Promise<string> {
    const res = await this.call('POST', '/api/v2/silences', s);
    const json = (await res.json()) as { silenceID?: unknown };
    if (typeof json.silenceID !== 'string') throw new AlertmanagerError('Alertmanager did not say the id of the silence it created');
    return json.silenceID;
  }

  async getSilence(id: string): Promise<Silence> {
    return (await (await this.call('GET', `/api/v2/silence/${encodeURIComponent(id)}`)).json()) as Silence;
  }

  /** Expires a silence now. */
  async expireSilence(id: string): Promise<void> {
    await this.call('DELETE', `/api/v2/silence/${encodeURIComponent(id)}`);
  }
}
