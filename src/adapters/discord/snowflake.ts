/** Discord ids (snowflakes) carry their creation time: milliseconds since Discord's epoch (2015) in the top 42 bits. */
export const DISCORD_EPOCH = 1_420_070_400_000;

export function snowflakeTime(id: string): number | undefined {
  if (!/^\d{1,21}$/.test(id)) return undefined;
  return Number(BigInt(id) >> 22n) + DISCORD_EPOCH;
}

export function snowflakeAt(ms: number, counter = 0): string {
  return ((BigInt(Math.max(0, ms - DISCORD_EPOCH)) << 22n) | BigInt(counter & 0xfff)).toString();
}
