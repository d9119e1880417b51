/**
 * Finding policy.yaml in a project folder, failing closed. Only a folder with no policy file at all
 * is "no policy" (open, where the process allows it); a policy under another name (`policy.yml`,
 * `Policy.yaml`), a `policy.yaml` that is a dangling symbolic link (a failed ConfigMap mount) or an
 * unreadable one is an error that locks every command, never a silent "no policy".
 */
import { lstat, readdir, readlink, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { displayPath } from './display-path.js';
import { readYamlFile, FileTooLargeError, type Problem } from './yaml-source.js';

export const POLICY_FILE = 'policy.yaml';

/** Names a careless operator might give the policy: any case, .yaml/.yml/.json. */
export const POLICY_LIKE = /^policy\.(ya?ml|json)$/i;

export type PolicyLookup =
  /** No policy file, nor anything that looks like one. */
  | { kind: 'absent'; path: string }
  /** policy.yaml was read. */
  | { kind: 'found'; path: string; text: string; problems: Problem[] }
  /** Something is wrong with the policy file(s): the problems say what; every command is locked. */
  | { kind: 'locked'; path: string; problems: Problem[] };

const LOCKS = 'every command is refused until this is fixed';

function error(path: string, message: string): Problem {
  return { file: displayPath(path), line: 1, col: 1, severity: 'error', message };
}

async function misnamed(root: string): Promise<string[]> {
  try {
    return (await readdir(root)).filter((n) => n !== POLICY_FILE && POLICY_LIKE.test(n)).sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') return [];
    throw err;
  }
}

/** Reads `root/policy.yaml`, reporting look-alikes and dangling links as errors. */
export async function findPolicy(root: string): Promise<PolicyLookup> {
  const path = join(root, POLICY_FILE);
  const problems: Problem[] = [];
  const others = await misnamed(root);
  const link = await lstat(path).catch((err: NodeJS.ErrnoException) => (err.code === 'ENOENT' ? undefined : err));

  let text: string | undefined;
  if (link instanceof Error) {
    problems.push(error(path, `cannot read the policy (${(link as NodeJS.ErrnoException).code ?? 'error'}); every command is refused until it can be read`));
  } else if (link?.isSymbolicLink() && (await stat(path).catch(() => undefined)) === undefined) {
    const target = await readlink(path).catch(() => '?');
    problems.push(
      error(path, `policy.yaml is a symbolic link to ${target}, which does not exist (a failed ConfigMap or volume mount?); ${LOCKS}: mount or restore the file, or delete the link to run with no policy`),
    );
  } else if (link !== undefined) {
    try {
      text = await readYamlFile(path);
    } catch (err) {
      if (err instanceof FileTooLargeError) problems.push(error(path, `${err.message}; every command is refused until it can be read`));
      else problems.push(error(path, `cannot read the policy (${(err as NodeJS.ErrnoException).code ?? 'error'}); every command is refused until it can be read`));
    }
  }
  for (const name of others) {
    const fix = link === undefined ? `rename it: mv ${name} ${POLICY_FILE}` : `merge it into ${POLICY_FILE} and delete it`;
    problems.push(error(join(root, name), `a policy file must be named exactly ${POLICY_FILE}, so this one is not read and ${LOCKS}; ${fix}`));
  }
  if (problems.length > 0) return { kind: 'locked', path, problems };
  if (text === undefined) return { kind: 'absent', path };
  return { kind: 'found', path, text, problems };
}
