/**
 * The `/ops` application command: one STRING option `command` taking the text a Slack user types
 * after `/ops`, with autocomplete of the commands the user may run (FORMATS.md, "Discord").
 */
import type { RESTPutAPIApplicationCommandsJSONBody } from 'discord-api-types/v10';
import { CHAT_INPUT, STRING_OPTION } from './command-kinds.js';

export const OPS_COMMAND = 'ops';
export const OPS_OPTION = 'command';

export function opsCommand(): RESTPutAPIApplicationCommandsJSONBody[number] {
  return {
    type: CHAT_INPUT,
    name: OPS_COMMAND,
    description: 'Run a runbook command, e.g. "restart api on web-1", or help, status, cancel, transcript',
    options: [{ type: STRING_OPTION, name: OPS_OPTION, description: 'What to run: the same text as after /ops on Slack', required: false, autocomplete: true, max_length: 4000 }],
  };
}
