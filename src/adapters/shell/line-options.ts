/**
 * Shell-only conveniences on a typed line, applied before the router sees it: `--as NAME` (or
 * `--as=NAME`) acts as another user for that one line, and a run built-in typed without a run id
 * (`approve`, `status`) means the last run this shell started or followed.
 */
const NEEDS_RUN = new Set(['status', 'cancel', 'approve', 'deny', 'transcript']);

export interface LineOptions {
  text: string;
  as?: string;
  error?: string;
}

export function applyLineOptions(line: string, lastRunId: string | undefined): LineOptions {
  let as: string | undefined;
  let error: string | undefined;
  const text = line
    .replace(/(^|\s)--as(?:=|\s+|$)(\S*)/g, (_m, lead: string, name: string) => {
      if (!/^[A-Za-z0-9._@-]+$/.test(name)) error = `--as needs a user name (letters, digits, . _ @ -), got "${name}"`;
      as = name;
      return lead;
    })
    .trim();
  const words = text.split(/\s+/);
  const first = words[0]?.toLowerCase() ?? '';
  if (NEEDS_RUN.has(first) && words.length === 1 && lastRunId !== undefined) return { text: `${text} ${lastRunId}`, as, error };
  return { text, as, error };
}
