/** Tab completion: command names first, run ids after a run built-in (`approve r-<TAB>`). */
const RUN_WORDS = new Set(['status', 'cancel', 'approve', 'deny', 'transcript']);

export function complete(line: string, commands: readonly string[], runIds: readonly string[]): [string[], string] {
  const words = line.split(/\s+/);
  const current = words[words.length - 1] ?? '';
  if (words.length <= 1) {
    const hits = commands.filter((c) => c.startsWith(current.toLowerCase()));
    return [hits.length > 0 ? hits.map((h) => `${h} `) : [], current];
  }
  const first = words[0]?.toLowerCase() ?? '';
  if (first === 'help' && words.length === 2) return [commands.filter((c) => c.startsWith(current)), current];
  if (RUN_WORDS.has(first) && words.length === 2) return [runIds.filter((r) => r.startsWith(current)), current];
  return [[], current];
}
