/**
 * Sizes in bytes as people write them in settings (`1MiB`, `512KiB`, `8 MiB`, `1048576`) and as
 * messages show them (`1 MiB`, `963 MiB`, `4.5 KiB`). Units are binary (KiB = 1024 bytes); `KB`,
 * `MB`, `GB` are read as their binary namesakes too, as most tools do for memory sizes.
 */

const UNITS: Record<string, number> = { '': 1, b: 1, k: 1024, kb: 1024, kib: 1024, m: 1024 ** 2, mb: 1024 ** 2, mib: 1024 ** 2, g: 1024 ** 3, gb: 1024 ** 3, gib: 1024 ** 3 };

/** The number of bytes, or undefined when the text is not a size. */
export function parseByteSize(text: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  const unit = m ? UNITS[(m[2] ?? '').toLowerCase()] : undefined;
  if (!m || unit === undefined) return undefined;
  const bytes = Math.floor(Number(m[1]) * unit);
  return Number.isSafeInteger(bytes) ? bytes : undefined;
}

/** A short human size: `512 bytes`, `4.5 KiB`, `1 MiB`, `963 MiB`, `2.4 GiB`. */
export function formatByteSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} ${bytes === 1 ? 'byte' : 'bytes'}`;
  const [unit, size] = bytes < 1024 ** 2 ? ['KiB', bytes / 1024] : bytes < 1024 ** 3 ? ['MiB', bytes / 1024 ** 2] : ['GiB', bytes / 1024 ** 3];
  // One decimal below 10 (4.5 KiB, not 5), none above (963 MiB); never a trailing `.0`.
  const text = size < 10 ? String(Math.round(size * 10) / 10) : String(Math.round(size));
  return `${text} ${unit}`;
}
