/**
 * Discord's message limits (developer docs, "Create Message" and "Embed Limits"): what the
 * formatters stay within. The API refuses a message past any of them (400, code 50035).
 */
export const DISCORD_LIMITS = {
  content: 2_000,
  embedsPerMessage: 10,
  embedTitle: 256,
  embedDescription: 4_096,
  embedFields: 25,
  fieldName: 256,
  fieldValue: 1_024,
  footer: 2_048,
  /** All titles, descriptions, field names and values and footers of a message together. */
  embedTotal: 6_000,
  actionRows: 5,
  buttonsPerRow: 5,
  buttonLabel: 80,
  customId: 100,
  threadName: 100,
} as const;
