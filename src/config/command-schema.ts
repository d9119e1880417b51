/** commands/NAME.yaml: the chat grammar of one command (FORMATS.md). */
import { z } from 'zod';
import { NAME_PATTERN } from '../workflow/schema.js';

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
