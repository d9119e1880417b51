/**
 * A setting that may change while the process runs (live reload, src/reload/): either a value
 * fixed at start or a function giving the value in force now. Consumers read it where they use it.
 */
export type Live<T> = T | (() => T);

export function current<T>(value: Live<T>): T {
  return typeof value === 'function' ? (value as () => T)() : value;
}

/** `build(source())`, built again only when `source()` gives another object (a reloaded project). */
export function derived<S extends object, T>(source: () => S, build: (s: S) => T): () => T {
  let from: S | undefined;
  let value: T | undefined;
  return () => {
    const s = source();
    if (s !== from || value === undefined) {
      value = build(s);
      from = s;
    }
    return value;
  };
}
