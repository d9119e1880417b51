/**
 * The application command and option kinds this folder sends, as discord-api-types' enum values
 * written out: loading that package's runtime (a large CommonJS module) would slow every
 * `chatops validate`, which builds the typed commands to check them. Each constant is typed as its
 * enum member, so the compiler checks the number against discord-api-types.
 */
import type { ApplicationCommandOptionType, ApplicationCommandType } from 'discord-api-types/v10';

export const CHAT_INPUT: ApplicationCommandType.ChatInput = 1;
export const STRING_OPTION: ApplicationCommandOptionType.String = 3;
export const BOOLEAN_OPTION: ApplicationCommandOptionType.Boolean = 5;
export const NUMBER_OPTION: ApplicationCommandOptionType.Number = 10;
