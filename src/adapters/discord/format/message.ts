/** The body of a Discord message the formatters build (Create/Edit Message, webhook and interaction responses). */
import { DISCORD_LIMITS } from './limits.js';
import { cut } from './markdown.js';
import type { APIActionRowComponent, APIComponentInMessageActionRow, APIEmbed } from 'discord-api-types/v10';

export interface DiscordMessage {
  content: string;
  embeds: APIEmbed[];
  components: APIActionRowComponent<APIComponentInMessageActionRow>[];
  /** Never ping anyone: identities are shown as mentions, but nobody is notified by them. */
  allowed_mentions: { parse: [] };
}

export function message(content: string, embeds: APIEmbed[] = [], components: DiscordMessage['components'] = []): DiscordMessage {
  return { content: cut(content, DISCORD_LIMITS.content), embeds: embeds.map(fitEmbed), components, allowed_mentions: { parse: [] } };
}

function embedChars(e: APIEmbed): number {
  return (e.title?.length ?? 0) + (e.description?.length ?? 0) + (e.footer?.text.length ?? 0) + (e.fields ?? []).reduce((n, f) => n + f.name.length + f.value.length, 0);
}

/**
 * An embed within Discord's 6,000 characters in all (titles, descriptions, fields, footer): the
 * last fields go first, then the description is cut, so the title and status stay.
 */
export function fitEmbed(embed: APIEmbed): APIEmbed {
  const e: APIEmbed = { ...embed, fields: embed.fields?.slice(0, DISCORD_LIMITS.embedFields) };
  while (embedChars(e) > DISCORD_LIMITS.embedTotal && (e.fields?.length ?? 0) > 0) e.fields = e.fields?.slice(0, -1);
  const over = embedChars(e) - DISCORD_LIMITS.embedTotal;
  if (over > 0 && e.description) e.description = cut(e.description, Math.max(1, e.description.length - over));
  return e;
}
