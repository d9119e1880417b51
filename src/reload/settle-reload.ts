/**
 * Which changes a reload puts in force (README, "Changing runbooks without a restart"). A change is
 * a file edited, added or removed since the project in force was built. All changes are built
 * together, cross-checks included; while a file has errors that is changed or that was good in the
 * project in force, one step takes changes back (a file's last good text put back, a new file left
 * out, a removed one kept), and the files are built again:
 *  1. the first change (by path) whose taking back alone leaves such a file (another one) with
 *     fewer errors is refused: it would break that file (a workflow another calls, a command
 *     names, a role an approval needs, a name or usage in force), and is reported naming both;
 *  2. else each changed file with errors is refused for its own errors;
 *  3. else (good files break only under several changes together) the changes taken back in path
 *     order until none breaks, less each that can be put back, are refused, each naming the others.
 * So every file good before stays good, and changes made together with their callers go in.
 * Files already bad (left out at start, as `loadProject` leaves them) are no reason to refuse.
 */
import { buildProject, type Project } from '../config/load-project.js';
import { displayPath } from '../config/display-path.js';
import type { ProjectFiles } from '../config/project-files.js';
import { formatProblem, type Problem } from '../config/yaml-source.js';
import { hashText, statesOf, withFileFrom } from './project-texts.js';

/** A change refused: its file (display path), why, and whether a good earlier version stays in force. */
export interface Refusal {
  file: string;
  problems: Problem[];
  keptLastGood: boolean;
  /** Absolute path, and the hash of the state refused (so a standing refusal is told once). */
  path: string;
  hash: string;
  /**
   * The refused text of a new file with errors of its own: left out here, and by a replica that
   * starts now too, so the version counts it and the two agree.
   */
  text?: string;
}

/** The project in force: the files it was built from, and which of them had no errors. */
export interface InForce {
  files: ProjectFiles;
  good: ReadonlySet<string>;
}

/**
 * Builds the files (after a turn of the event loop: a reload that tries many changes builds many
 * times, and the process goes on answering meanwhile), with its errors by file.
 */
async function build(root: string, files: ProjectFiles): Promise<{ project: Project; errors: Map<string, Problem[]> }> {
  await new Promise((resolve) => setImmediate(resolve));
  const project = buildProject(root, files);
  const errors = new Map<string, Problem[]>();
  for (const p of project.problems) if (p.severity === 'error') errors.set(p.file, [...(errors.get(p.file) ?? []), p]);
  return { project, errors };
}

/** The problem told in a refused file's name for a file it would break elsewhere. */
function wouldBreak(file: string, how: string, broken: Problem): Problem {
  return { file, line: 1, col: 1, severity: 'error', message: `${how} would break ${formatProblem(broken)}` };
}

/**
 * The errors of one file that taking a change back clears: none unless it leaves the file with fewer
 * (a did-you-mean that reads differently is no fix); those gone, or all when only their wording changed.
 */
function fewer(now: Problem[], then: Problem[]): Problem[] {
  if (then.length >= now.length) return [];
  const left = new Set(then.map(formatProblem));
  const gone = now.filter((p) => !left.has(formatProblem(p)));
  return gone.length > 0 ? gone : now;
}

/** The files with their refused changes taken back, the project they build, and the refusals. */
export async function settleReload(root: string, read: ProjectFiles, before: InForce): Promise<{ files: ProjectFiles; project: Project; refused: Refusal[] }> {
  let files = read;
  const was = statesOf(before.files);
  /** A build of `candidate`: its changes, and the files with errors that are changed or were good. */
  const examine = async (candidate: ProjectFiles) => {
    const states = statesOf(candidate);
    const paths = [...new Set([...states.keys(), ...was.keys()])].sort();
    const changes = paths.filter((p) => states.get(p) !== was.get(p));
    const { project, errors } = await build(root, candidate);
    const errorsOf = (path: string) => errors.get(displayPath(path)) ?? [];
    const bad = paths.filter((p) => errorsOf(p).length > 0 && (changes.includes(p) || before.good.has(p)));
    return { states, changes, project, errorsOf, bad };
  };
  const back = (candidate: ProjectFiles, path: string) => withFileFrom(root, candidate, path, before.files);
  const refused: Refusal[] = [];
  const refuse = (path: string, state: string | undefined, problems: Problem[], ownErrors: boolean): void => {
    const text = ownErrors && !was.has(path) && state !== undefined && !state.startsWith('\0') ? { text: state } : {};
    refused.push({ file: displayPath(path), problems, keptLastGood: before.good.has(path), path, hash: hashText(state), ...text });
    files = back(files, path);
  };
  const policyGone = keepPolicy(files, before.files);
  if (policyGone) refuse(files.policy.path, policyGone.state, policyGone.problems, true);

  for (;;) {
    const { states, changes, project, errorsOf, bad } = await examine(files);
    if (bad.length === 0 || changes.length === 0) return { files, project, refused };
    const how = (p: string) => (!states.has(p) ? 'removing this file' : was.has(p) ? 'this change' : 'this new file');

    // 1. The first change whose taking back alone leaves another such file with fewer errors.
    let culprit: { path: string; broken: Problem[] } | undefined;
    for (const path of changes) {
      const trial = (await build(root, back(files, path))).errors;
      const broken = bad.filter((p) => p !== path).flatMap((p) => fewer(errorsOf(p), trial.get(displayPath(p)) ?? []));
      if (broken.length > 0) {
        culprit = { path, broken };
        break;
      }
    }
    if (culprit !== undefined) {
      const { path, broken } = culprit;
      refuse(path, states.get(path), [...errorsOf(path), ...broken.map((p) => wouldBreak(displayPath(path), how(path), p))], errorsOf(path).length > 0);
      continue;
    }
    // 2. Each changed file with errors of its own.
    const own = bad.filter((p) => changes.includes(p));
    if (own.length > 0) {
      for (const path of own) refuse(path, states.get(path), errorsOf(path), true);
      continue;
    }
    // 3. Files good before break only under several changes together: take changes back in path
    // order until none does, then put back each one the files stay whole without. All taken back
    // make the project in force again, which is whole, so this ends.
    let trial = files;
    const taken: string[] = [];
    for (const path of changes) {
      trial = back(trial, path);
      taken.push(path);
      if ((await examine(trial)).bad.length === 0) break;
    }
    const needed: string[] = [];
    for (const path of taken) {
      const without = withFileFrom(root, trial, path, files);
      if ((await examine(without)).bad.length === 0) trial = without;
      else needed.push(path);
    }
    const broken = bad.flatMap(errorsOf);
    for (const path of needed) {
      const others = needed.filter((p) => p !== path).map(displayPath);
      const together = others.length > 0 ? `${how(path)}, together with ${others.join(', ')},` : how(path);
      refuse(path, states.get(path), broken.map((p) => wouldBreak(displayPath(path), together, p)), false);
    }
  }
}

/**
 * The policy fails closed: a misnamed or unreadable policy.yaml keeps the policy in force, and so
 * does a deleted one (no policy opens every command; that takes a restart, on purpose).
 */
function keepPolicy(files: ProjectFiles, before: ProjectFiles): { state: string | undefined; problems: Problem[] } | undefined {
  const now = files.policy;
  const was = before.policy;
  if (now.kind === 'found' || was.kind === 'absent' || (now.kind === 'locked' && was.kind === 'locked')) return undefined;
  if (now.kind === 'locked') return { state: statesOf(files).get(now.path), problems: now.problems };
  const kept = was.kind === 'found' ? 'the last good policy stays in force' : 'every command stays locked';
  const message = `policy file removed: ${kept} (running with no policy opens every command; restart the process to do that on purpose)`;
  return { state: undefined, problems: [{ file: displayPath(now.path), line: 1, col: 1, severity: 'error', message }] };
}
