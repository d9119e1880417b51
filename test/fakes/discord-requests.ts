/**
 * Plays Discord's side of interactions in tests: payloads (slash commands, autocomplete, button
 * clicks, modal submits) shaped as Discord sends them, delivered either as signed POSTs to
 * /discord/interactions (an Ed25519 key pair; the app's HTTP answer is handed back to the fake
 * with the measured time) or, `via: 'gateway'`, as INTERACTION_CREATE dispatches on the fake
 * Gateway (the app answers through the callback route). Each interaction is registered with the
 * fake API first (its id and token), so the fake holds the app to the 3-second initial response.
 */
import { generateKeyPairSync, sign } from 'node:crypto';
import type { FakeDiscordApi, FakeInteraction } from './discord-api.js';

export const GUILD = '300000000000000000';

export interface Invoker {
  /** Discord user id. */
  user: string;
  roles?: string[];
  channel: string;
  /** Set when the interaction comes from a thread: its parent channel. */
  parent?: string;
}

export interface Answered {
  status: number;
  body: unknown;
  /** Whether the fake took the answer as the interaction's initial response in time. */
  acked: boolean;
  interaction?: FakeInteraction;
}

/** An interaction as Discord sends it (HTTP body or INTERACTION_CREATE's `d`), from `who` in their channel or thread. */
export function interactionPayload(i: { id: string; token: string }, applicationId: string, type: number, who: Invoker, data: Record<string, unknown>, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const channel = who.parent ? { id: who.channel, type: 11, parent_id: who.parent } : { id: who.channel, type: 0 };
  return {
    id: i.id,
    application_id: applicationId,
    type,
    token: i.token,
    version: 1,
    guild_id: GUILD,
    channel_id: who.channel,
    channel,
    member: { user: { id: who.user, username: `user${who.user.slice(-3)}`, global_name: null, discriminator: '0' }, roles: who.roles ?? [], permissions: '0', joined_at: '2026-01-01T00:00:00.000Z', deaf: false, mute: false, flags: 0 },
    data,
    app_permissions: '0',
    locale: 'en-US',
    entitlements: [],
    authorizing_integration_owners: {},
    context: 0,
    ...extra,
  };
}

/** `/ops command:<text>`'s data. */
export function opsData(text: string): Record<string, unknown> {
  return { id: '400000000000000001', name: 'ops', type: 1, options: [{ name: 'command', type: 3, value: text }] };
}

export class DiscordSender {
  private readonly keys = generateKeyPairSync('ed25519');
  constructor(
    public url: string,
    private readonly fake?: FakeDiscordApi,
    /** How interactions reach the app: signed HTTP POSTs, or dispatches on the fake Gateway. */
    readonly via: 'http' | 'gateway' = 'http',
  ) {}

  /** The public key as DISCORD_PUBLIC_KEY holds it: 64 hex characters. */
  get publicKeyHex(): string {
    const jwk = this.keys.publicKey.export({ format: 'jwk' });
    return Buffer.from(jwk.x ?? '', 'base64url').toString('hex');
  }

  signature(timestamp: string, body: string, key = this.keys.privateKey): string {
    return sign(null, Buffer.from(timestamp + body), key).toString('hex');
  }

  async send(body: string, opts: { timestampSec?: number; signature?: string | null; otherKey?: boolean } = {}): Promise<{ status: number; body: unknown }> {
    const ts = String(opts.timestampSec ?? Math.floor(Date.now() / 1000));
    const headers: Record<string, string> = { 'content-type': 'application/json', 'x-signature-timestamp': ts };
    const sig = opts.signature === undefined ? this.signature(ts, body, opts.otherKey ? generateKeyPairSync('ed25519').privateKey : undefined) : opts.signature;
    if (sig !== null) headers['x-signature-ed25519'] = sig;
    const res = await fetch(this.url, { method: 'POST', headers, body });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // not JSON: keep the text
    }
    return { status: res.status, body: parsed };
  }

  private get api(): FakeDiscordApi {
    if (!this.fake) throw new Error('this sender has no fake Discord API to register interactions with');
    return this.fake;
  }

  /** Sends an interaction of `type` with `data` from `who`, signed, and reports the answer to the fake. */
  async interact(type: number, who: Invoker, data: Record<string, unknown>, extra: Record<string, unknown> = {}): Promise<Answered> {
    const i = this.api.newInteraction(who.channel);
    const payload = interactionPayload(i, this.api.applicationId, type, who, data, extra);
    if (this.via === 'gateway') return this.dispatch(i, payload);
    const t0 = Date.now();
    const res = await this.send(JSON.stringify(payload));
    const ack = res.status === 200 ? this.api.acknowledge(i.id, res.body, Date.now() - t0) : { ok: false };
    return { ...res, acked: ack.ok, interaction: i };
  }

  /** INTERACTION_CREATE on the Gateway; answered once the app's callback came (or came too late). */
  private async dispatch(i: FakeInteraction, payload: unknown): Promise<Answered> {
    this.api.gateway.dispatch('INTERACTION_CREATE', payload);
    await this.api.waitFor(() => i.response !== undefined || i.late === true, 20_000, `the callback of interaction ${i.id}`);
    return { status: i.response ? 200 : 0, body: i.response, acked: i.response !== undefined, interaction: i };
  }

  /** `/ops command:<text>`. */
  ops(who: Invoker, text: string): Promise<Answered> {
    return this.interact(2, who, opsData(text));
  }

  /** Autocomplete of `/ops command:` while `typed` is in the box. */
  autocomplete(who: Invoker, typed: string): Promise<Answered> {
    return this.interact(4, who, { id: '400000000000000001', name: 'ops', type: 1, options: [{ name: 'command', type: 3, value: typed, focused: true }] });
  }

  /** Submits the modal `customId` with text `fields` (custom_id → value), as Discord sends it: labels holding text inputs. */
  modalSubmit(who: Invoker, customId: string, fields: Record<string, string>): Promise<Answered> {
    const components = Object.entries(fields).map(([id, value]) => ({ type: 18, id: 1, component: { type: 4, id: 2, custom_id: id, value } }));
    return this.interact(5, who, { custom_id: customId, components });
  }

  /** A click on a button `customId` of message `messageId` (in `who.channel`). */
  click(who: Invoker, customId: string, messageId: string): Promise<Answered> {
    return this.interact(3, who, { custom_id: customId, component_type: 2 }, { message: { id: messageId, channel_id: who.channel, content: '', embeds: [], components: [], attachments: [], author: { id: '100000000000000002', username: 'chatops', discriminator: '0', global_name: null }, timestamp: new Date().toISOString(), edited_timestamp: null, tts: false, mention_everyone: false, mentions: [], mention_roles: [], pinned: false, type: 0, flags: 0 } });
  }
}
