/** commands/NAME.yaml: the chat grammar of one command (FORMATS.md). */
import { z } from 'zod';
import { NAME_PATTERN } from '../workflow/schema.js';

/**
 * The commands the bot answers itself (chat/builtins.ts, described in chat/help.ts). They always
 * win over a command file of the same name, so such a file is refused rather than shadowed.
 */
export const BUILTIN_COMMAND_NAMES = ['help', 'runs', 'status', 'cancel', 'approve', 'deny', 'transcript', 'postmortem', 'incidents', 'ack', 'silence', 'unsilence', 'resolve', 'run'] as const;
export type BuiltinCommandName = (typeof BUILTIN_COMMAND_NAMES)[number];

export function isBuiltinCommandName(name: string): name is BuiltinCommandName {
  return (BUILTIN_COMMAND_NAMES as readonly string[]).includes(name);
}

export const commandSchema = z.strictObject({
  name: z.string().regex(NAME_PATTERN, 'expected a lower-case command name of letters, digits, _ and -'),
  description: z.string().optional(),
  usage: z.string().min(1, 'expected a usage pattern such as `restart {service} on {host}`'),
  workflow: z.string().min(1),
  /** input name -> template of `{arg}` placeholders and text; by default {arg} fills the same-named input. */
  inputs: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]).transform(String)).optional(),
  examples: z.array(z.string()).default([]),
});

export type CommandFile = z.infer<typeof commandSchema>;
