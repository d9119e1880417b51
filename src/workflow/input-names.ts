/**
 * Input names as people type them (`chatops run -i key=value`, `key=value` in chat). A name that
 * would reach an object's prototype (`__proto__`) instead of holding a value is refused, and so is
 * a name given twice: "the last one wins" silently runs something other than what was read.
 */
export const RESERVED_INPUT_NAMES: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

export function reservedInputMessage(name: string): string {
  return `${name} cannot be an input name (__proto__, constructor and prototype are reserved)`;
}

export type Assignments =
  | { ok: true; inputs: Record<string, string> }
  | { ok: false; code: 'E_INPUT_NAME' | 'E_INPUT_TWICE'; key: string; message: string };

/** key=value pairs to inputs; a reserved name or a name given twice is refused (values are not echoed: one may be a secret). */
export function collectAssignments(pairs: readonly { key: string; value: string }[]): Assignments {
  const seen = new Map<string, string>();
  for (const { key, value } of pairs) {
    if (RESERVED_INPUT_NAMES.has(key)) return { ok: false, code: 'E_INPUT_NAME', key, message: reservedInputMessage(key) };
    if (seen.has(key)) return { ok: false, code: 'E_INPUT_TWICE', key, message: `${key} is given twice; give each input once` };
    seen.set(key, value);
  }
  // Object.fromEntries defines own properties, so no key can reach the prototype.
  return { ok: true, inputs: Object.fromEntries(seen) };
}
