/** The body of a Discord message the formatters build (Create/Edit Message, webhook and interaction responses). */
import type { APIActionRowComponent, APIComponentInMessageActionRow, APIEmbed } from 'discord-api-types/v10';

export interface DiscordMessage {
  content: string;
  embeds: APIEmbed[];
  components: APIActionRowComponent<APIComponentInMessageActionRow>[];
  /** Never ping anyone: identities are shown as mentions, but nobody is notified by them. */
  allowed_mentions: { parse: [] };
}

export function message(content: string, embeds: APIEmbed[] = [], components: DiscordMessage['components'] = []): DiscordMessage {
  return { content, embeds, components, allowed_mentions: { parse: [] } };
}
