import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';

interface Manifest {
  features: { slash_commands: { command: string }[] };
  oauth_config: { scopes: { bot: string[] } };
  settings: { event_subscriptions: { bot_events: string[] }; interactivity: { is_enabled: boolean }; socket_mode_enabled: boolean };
}

describe('slack/manifest.yaml', () => {
  const manifest = parse(readFileSync(new URL('../../slack/manifest.yaml', import.meta.url), 'utf8')) as Manifest;

  it('declares the default slash command, mentions, interactivity and Socket Mode', () => {
    expect(manifest.features.slash_commands.map((c) => c.command)).toEqual(['/ops']);
    expect(manifest.settings.event_subscriptions.bot_events).toEqual(['app_mention']);
    expect(manifest.settings.interactivity.is_enabled).toBe(true);
    expect(manifest.settings.socket_mode_enabled).toBe(true);
  });

  it('grants the scopes of every Web API method the adapter calls', () => {
    // chat.postMessage/update/postEphemeral, files.getUploadURLExternal/completeUploadExternal,
    // usergroups.users.list, the slash command and app_mention events, conversations.history and
    // conversations.replies (finding a run header whose ts a dead replica never saved).
    expect(manifest.oauth_config.scopes.bot.sort()).toEqual(['app_mentions:read', 'channels:history', 'chat:write', 'chat:write.public', 'commands', 'files:write', 'groups:history', 'usergroups:read']);
  });
});
