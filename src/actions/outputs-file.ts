/**
 * The `$CHATOPS_OUTPUT` file a shell step appends its outputs to, in GitHub Actions' format:
 *
 *   key=value                 one line; the value is everything after the first `=`
 *   key<<DELIM                a multi-line value: the lines up to a line that is exactly DELIM,
 *   line 1                    joined with `\n` (no trailing newline)
 *   DELIM
 *
 * As in GitHub's runner, a line is a heredoc when `<<` comes before any `=`; empty lines are
 * ignored; CRLF line ends are accepted; a key set twice keeps its last value. Unlike GitHub, keys
 * must be usable in expressions (`steps.x.outputs.key`), and a malformed file is an error naming
 * the line rather than something half-applied.
 */
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const OUTPUT_KEY_PATTERN = /^[A-Za-z_][A-Za-z0-9_-]*$/;
/** Outputs live in the run record in Redis; a step that writes more than this is refused. */
export const MAX_OUTPUTS_FILE_BYTES = 1024 * 1024;

export interface OutputsProblem {
  line: number;
  message: string;
}

export type ParsedOutputs = { ok: true; outputs: Record<string, string> } | { ok: false; outputs: Record<string, string>; problems: OutputsProblem[] };

function checkKey(key: string, line: number, problems: OutputsProblem[]): boolean {
  if (key === '') {
    problems.push({ line, message: 'missing output name before "=" or "<<"' });
    return false;
  }
  if (!OUTPUT_KEY_PATTERN.test(key)) {
    problems.push({ line, message: `invalid output name "${key.slice(0, 64)}": use letters, digits, _ and -, not starting with a digit or -` });
    return false;
  }
  return true;
}

/** Parses the file's text. Keeps every well-formed output even when other lines are malformed. */
export function parseOutputs(text: string): ParsedOutputs {
  // A Map, then Object.fromEntries (which defines own properties): an output named `__proto__`
  // must be just a key, never a prototype.
  const outputs = new Map<string, string>();
  const problems: OutputsProblem[] = [];
  const lines = text.split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
  // A file ending in "\n" yields one last empty string, which is not a line.
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    const lineNo = i + 1;
    if (line.trim() === '') continue;
    const eq = line.indexOf('=');
    const heredoc = line.indexOf('<<');
    if (heredoc >= 0 && (eq < 0 || heredoc < eq)) {
      const key = line.slice(0, heredoc).trim();
      const delimiter = line.slice(heredoc + 2).trim();
      const keyOk = checkKey(key, lineNo, problems);
      if (delimiter === '') {
        problems.push({ line: lineNo, message: `output "${key}": missing delimiter after "<<" (write ${key}<<EOF, the lines, then EOF)` });
        continue;
      }
      const end = lines.indexOf(delimiter, i + 1);
      if (end === -1) {
        problems.push({ line: lineNo, message: `output "${key}": no line "${delimiter.slice(0, 64)}" closes the value started here` });
        break; // everything after is part of the unterminated value
      }
      if (keyOk) outputs.set(key, lines.slice(i + 1, end).join('\n'));
      i = end;
      continue;
    }
    if (eq < 0) {
      problems.push({ line: lineNo, message: `expected key=value or key<<DELIMITER, got "${line.slice(0, 64)}${line.length > 64 ? '…' : ''}"` });
      continue;
    }
    const key = line.slice(0, eq).trim();
    if (checkKey(key, lineNo, problems)) outputs.set(key, line.slice(eq + 1));
  }
  const plain = Object.fromEntries(outputs);
  return problems.length === 0 ? { ok: true, outputs: plain } : { ok: false, outputs: plain, problems };
}

export function describeProblems(problems: OutputsProblem[]): string {
  const shown = problems.slice(0, 5).map((p) => `line ${p.line}: ${p.message}`);
  if (problems.length > 5) shown.push(`and ${problems.length - 5} more`);
  return `CHATOPS_OUTPUT is malformed: ${shown.join('; ')}`;
}

/** A fresh, private (0600 in a 0700 directory) empty outputs file, and its cleanup. */
export interface OutputsFile {
  path: string;
  read(): Promise<ParsedOutputs>;
  remove(): Promise<void>;
}

/** Step folders are named chatops-step-<worker pid>-<random>, so a sweep knows whose they are. */
const STEP_DIR_PREFIX = 'chatops-step-';

export async function createOutputsFile(): Promise<OutputsFile> {
  const dir = await mkdtemp(join(tmpdir(), `${STEP_DIR_PREFIX}${process.pid}-`));
  const path = join(dir, 'output');
  await writeFile(path, '', { mode: 0o600 });
  return {
    path,
    async read() {
      let size: number;
      try {
        size = (await stat(path)).size;
      } catch {
        // The script deleted or moved it: nothing was set.
        return { ok: true, outputs: {} };
      }
      if (size > MAX_OUTPUTS_FILE_BYTES) {
        return { ok: false, outputs: {}, problems: [{ line: 0, message: `file is ${size} bytes, more than the ${MAX_OUTPUTS_FILE_BYTES} allowed; write large data elsewhere and output its location` }] };
      }
      return parseOutputs(await readFile(path, 'utf8'));
    },
    async remove() {
      await rm(dir, { recursive: true, force: true });
    },
  };
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'; // alive, someone else's
  }
}

/** A folder of the old naming (no pid) is swept once it is this old: no step runs for a day. */
const UNOWNED_DIR_MAX_AGE_MS = 24 * 3_600_000;

/**
 * Removes the step folders (script, outputs file: they may hold output values in clear) that a
 * worker killed with SIGKILL left in the temp directory: those whose worker pid is no longer a
 * running process. Run when a worker starts. Returns how many were removed.
 */
export async function sweepStepDirs(dir = tmpdir()): Promise<number> {
  const names = (await readdir(dir)).filter((n) => n.startsWith(STEP_DIR_PREFIX));
  let removed = 0;
  for (const name of names) {
    const owner = /^(\d+)-/.exec(name.slice(STEP_DIR_PREFIX.length))?.[1];
    const path = join(dir, name);
    if (owner !== undefined) {
      if (Number(owner) === process.pid || processAlive(Number(owner))) continue;
    } else {
      const info = await stat(path).catch(() => undefined);
      if (!info || Date.now() - info.mtimeMs < UNOWNED_DIR_MAX_AGE_MS) continue;
    }
    await rm(path, { recursive: true, force: true });
    removed++;
  }
  return removed;
}
