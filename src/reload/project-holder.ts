/**
 * The project in force in a long-running process (serve, worker), and how it changes: reload()
 * reads the folder again, and each file whose new text has errors (its own, or what the
 * cross-checks find in it) is swapped for its last good text before the project is built. A
 * broken edit therefore never takes a runbook away; it is refused and reported (ReloadOutcome).
 * `version` is a sha256 over the files in force, so replicas can tell whether they agree.
 */
import { createHash } from 'node:crypto';
import { relative, resolve } from 'node:path';
import { buildProject, type Project } from '../config/load-project.js';
import { displayPath } from '../config/display-path.js';
import { readProjectFiles, type ProjectFile, type ProjectFiles } from '../config/project-files.js';
import type { Problem } from '../config/yaml-source.js';
import type { EngineProject } from '../engine/engine.js';

/** A file whose new text was refused: its last good text (if any) stays in force. */
export interface RefusedFile {
  /** As shown in problems (displayPath). */
  file: string;
  problems: Problem[];
  /** True when an earlier text of the file stays in force; false for a new file (left out). */
  keptLastGood: boolean;
}

export interface ReloadOutcome {
  /** `ok`: the new files are in force; `failed`: at least one new refusal; `unchanged`: nothing new. */
  result: 'ok' | 'failed' | 'unchanged';
  version: string;
  /** Files whose text in force changed (display paths). */
  changed: string[];
  /** Refusals not reported before (a file stays refused, and unreported, until its text changes). */
  refused: RefusedFile[];
}

/** What the process needs of the project now: the holder, or a project fixed at start (tests, shell). */
export interface ProjectSource {
  readonly project: Project;
  readonly version: string;
}

type Texts = Map<string, string>;

/** The texts a read found (absolute path -> text); the policy under its path when it was found. */
function textsOf(files: ProjectFiles): Texts {
  const out: Texts = new Map();
  for (const f of [...files.workflows, ...files.commands, ...(files.alerts ? [files.alerts] : [])]) if (f.text !== undefined) out.set(f.path, f.text);
  if (files.policy.kind === 'found') out.set(files.policy.path, files.policy.text);
  return out;
}

/** sha256 over the files in force, by path relative to the project folder (the same on every replica). */
export function projectVersion(root: string, texts: Texts): string {
  const hash = createHash('sha256');
  for (const path of [...texts.keys()].sort()) hash.update(`${relative(root, path)}\0${texts.get(path) ?? ''}\0`);
  return hash.digest('hex').slice(0, 16);
}

/** Two reloads in a row told as one: everything either changed or refused; failed if either failed. */
function merged(first: ReloadOutcome, next: ReloadOutcome): ReloadOutcome {
  const result = first.result === 'failed' || next.result === 'failed' ? 'failed' : first.result === 'ok' || next.result === 'ok' ? 'ok' : 'unchanged';
  return { result, version: next.version, changed: [...new Set([...first.changed, ...next.changed])], refused: [...first.refused, ...next.refused] };
}

function hashText(text: string | undefined): string {
  return text === undefined ? '-' : createHash('sha256').update(text).digest('hex');
}

export class ProjectHolder implements ProjectSource {
  private current: Project;
  private inForce: Texts;
  private currentVersion: string;
  /** file -> hash of the refused text already reported, so watching never repeats a report. */
  private readonly reported = new Map<string, string>();
  private standing: RefusedFile[] = [];
  private running: Promise<ReloadOutcome> | undefined;
  private again = false;
  private readonly listeners: ((project: Project, outcome: ReloadOutcome) => void)[] = [];

  private constructor(
    readonly root: string,
    files: ProjectFiles,
  ) {
    this.current = buildProject(root, files);
    this.inForce = textsOf(files);
    this.currentVersion = projectVersion(root, this.inForce);
  }

  /** Loads the project at `dir` as `loadProject` does (files with errors are left out and listed in problems). */
  static async open(dir: string): Promise<ProjectHolder> {
    const root = resolve(dir);
    return new ProjectHolder(root, await readProjectFiles(root));
  }

  get project(): Project {
    return this.current;
  }

  get version(): string {
    return this.currentVersion;
  }

  /** The files refused by the last reload (their last good text in force), reported or not. */
  get refused(): readonly RefusedFile[] {
    return this.standing;
  }

  /** Called after each reload that changed the project in force. */
  onChange(listener: (project: Project, outcome: ReloadOutcome) => void): void {
    this.listeners.push(listener);
  }

  /** Reads the folder again; at most one reload runs at a time, and requests during one make one more. */
  reload(): Promise<ReloadOutcome> {
    if (this.running !== undefined) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      try {
        let outcome = await this.reloadOnce();
        while (this.again) {
          this.again = false;
          outcome = merged(outcome, await this.reloadOnce());
        }
        return outcome;
      } finally {
        this.running = undefined;
      }
    })();
    return this.running;
  }

  private async reloadOnce(): Promise<ReloadOutcome> {
    const files = await readProjectFiles(this.root);
    const refused = this.keepLastGood(files);
    const texts = textsOf(files);
    const version = projectVersion(this.root, texts);
    const changed = [...new Set([...texts.keys(), ...this.inForce.keys()])].filter((p) => texts.get(p) !== this.inForce.get(p)).map(displayPath);
    const fresh = refused.filter((r) => this.reported.get(r.file) !== r.hash);
    for (const r of refused) this.reported.set(r.file, r.hash);
    for (const file of [...this.reported.keys()]) if (!refused.some((r) => r.file === file)) this.reported.delete(file);
    this.standing = refused.map(({ file, problems, keptLastGood }) => ({ file, problems, keptLastGood }));
    const report: RefusedFile[] = fresh.map(({ file, problems, keptLastGood }) => ({ file, problems, keptLastGood }));
    if (version === this.currentVersion) return { result: report.length > 0 ? 'failed' : 'unchanged', version, changed: [], refused: report };
    this.current = buildProject(this.root, files);
    this.inForce = texts;
    this.currentVersion = version;
    const outcome: ReloadOutcome = { result: report.length > 0 ? 'failed' : 'ok', version, changed, refused: report };
    for (const l of this.listeners) l(this.current, outcome);
    return outcome;
  }

  /**
   * Swaps each changed file whose text has errors for its last good text (in `files`, in place),
   * building again until no changed file has errors: a workflow fixed back can mend the command
   * that named it. Returns the files refused, with the problems of the text that was refused.
   */
  private keepLastGood(files: ProjectFiles): (RefusedFile & { hash: string })[] {
    const refused: (RefusedFile & { hash: string })[] = [];
    const settled = new Set<string>();
    for (let round = 0; round < 8; round++) {
      const errors = new Map<string, Problem[]>();
      for (const p of buildProject(this.root, files).problems) if (p.severity === 'error') errors.set(p.file, [...(errors.get(p.file) ?? []), p]);
      let swapped = false;
      const swap = (f: ProjectFile): ProjectFile => {
        const file = displayPath(f.path);
        const problems = errors.get(file);
        if (problems === undefined || settled.has(f.path) || f.text === this.inForce.get(f.path)) return f;
        settled.add(f.path);
        const last = this.inForce.get(f.path);
        refused.push({ file, problems, keptLastGood: last !== undefined, hash: hashText(f.text) });
        if (last === undefined) return f; // a new file with errors: left out by the build, as at start
        swapped = true;
        return { path: f.path, text: last };
      };
      files.workflows = files.workflows.map(swap);
      files.commands = files.commands.map(swap);
      if (files.alerts) files.alerts = swap(files.alerts);
      swapped = this.keepPolicy(files, errors, settled, refused) || swapped;
      if (!swapped) break;
    }
    return refused;
  }

  /**
   * The policy fails closed: a broken, unreadable or misnamed policy.yaml keeps the last good one,
   * and so does a deleted one (no policy opens every command; that takes a restart, on purpose).
   */
  private keepPolicy(files: ProjectFiles, errors: Map<string, Problem[]>, settled: Set<string>, refused: (RefusedFile & { hash: string })[]): boolean {
    const found = files.policy;
    const last = this.inForce.get(found.path);
    if (last === undefined || settled.has(found.path)) return false;
    const file = displayPath(found.path);
    let problems: Problem[] | undefined;
    if (found.kind === 'found') problems = found.text === last ? undefined : errors.get(file);
    else if (found.kind === 'locked') problems = found.problems;
    else problems = [{ file, line: 1, col: 1, severity: 'error', message: 'policy file removed: the last good policy stays in force (running with no policy opens every command; restart the process to do that on purpose)' }];
    if (problems === undefined || problems.length === 0) return false;
    settled.add(found.path);
    refused.push({ file, problems, keptLastGood: true, hash: found.kind === 'found' ? hashText(found.text) : found.kind });
    files.policy = { kind: 'found', path: found.path, text: last, problems: [] };
    return true;
  }
}

/** The engine's view of a source: always the project in force now (runs already started keep their snapshot). */
export function liveEngineProject(source: ProjectSource): EngineProject {
  return {
    get workflows() {
      return source.project.workflows;
    },
    get policy() {
      return source.project.policy;
    },
  };
}
