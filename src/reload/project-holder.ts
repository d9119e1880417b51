/**
 * The project in force in a long-running process (serve, worker), and how it changes: reload()
 * reads the folder again and puts in force what settle-reload.ts lets through: a change with errors
 * of its own, or one that would break a file good before (a workflow another calls, for one), is
 * refused, and the last good text of that file stays in force. A broken edit therefore never takes
 * a runbook away; it is refused and reported (ReloadOutcome). `version` is a sha256 over the files
 * in force (and the new files refused for their own errors, which a replica that starts now also
 * reads and leaves out), so replicas can tell whether they agree.
 */
import { resolve } from 'node:path';
import { buildProject, type Project } from '../config/load-project.js';
import { displayPath } from '../config/display-path.js';
import { readProjectFiles, type ProjectFiles } from '../config/project-files.js';
import type { Problem } from '../config/yaml-source.js';
import type { EngineProject } from '../engine/engine.js';
import { projectVersion, statesOf, textsOf } from './project-texts.js';
import { settleReload } from './settle-reload.js';

/** A file whose new text was refused: its last good text (if any) stays in force. */
export interface RefusedFile {
  /** As shown in problems (displayPath). */
  file: string;
  problems: Problem[];
  /** True when a good earlier text of the file stays in force; false for a file that had none (left out). */
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

/** Two reloads in a row told as one: everything either changed or refused; failed if either failed. */
function merged(first: ReloadOutcome, next: ReloadOutcome): ReloadOutcome {
  const result = first.result === 'failed' || next.result === 'failed' ? 'failed' : first.result === 'ok' || next.result === 'ok' ? 'ok' : 'unchanged';
  return { result, version: next.version, changed: [...new Set([...first.changed, ...next.changed])], refused: [...first.refused, ...next.refused] };
}

/** The files `project` was built from that its build found no error in. */
function goodFiles(project: Project, files: ProjectFiles): Set<string> {
  const broken = new Set(project.problems.filter((p) => p.severity === 'error').map((p) => p.file));
  return new Set([...statesOf(files).keys()].filter((path) => !broken.has(displayPath(path))));
}

export class ProjectHolder implements ProjectSource {
  private current: Project;
  /** The files the project in force was built from, and which of them had no errors. */
  private files: ProjectFiles;
  private good: Set<string>;
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
    this.files = files;
    this.good = goodFiles(this.current, files);
    this.currentVersion = projectVersion(root, textsOf(files));
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
    const { files, project, refused } = await settleReload(this.root, await readProjectFiles(this.root), { files: this.files, good: this.good });
    // A new file refused for its own errors is left out here and by a replica started since: the version counts it.
    const counted = new Map([...textsOf(files), ...refused.flatMap((r) => (r.text !== undefined ? [[r.path, r.text] as const] : []))]);
    const version = projectVersion(this.root, counted);
    const [now, was] = [statesOf(files), statesOf(this.files)];
    const changed = [...new Set([...now.keys(), ...was.keys()])].filter((p) => now.get(p) !== was.get(p)).map(displayPath);
    const fresh = refused.filter((r) => this.reported.get(r.file) !== r.hash);
    for (const r of refused) this.reported.set(r.file, r.hash);
    for (const file of [...this.reported.keys()]) if (!refused.some((r) => r.file === file)) this.reported.delete(file);
    this.standing = refused.map(({ file, problems, keptLastGood }) => ({ file, problems, keptLastGood }));
    const report: RefusedFile[] = fresh.map(({ file, problems, keptLastGood }) => ({ file, problems, keptLastGood }));
    if (version === this.currentVersion && changed.length === 0) return { result: report.length > 0 ? 'failed' : 'unchanged', version, changed: [], refused: report };
    this.current = project;
    this.files = files;
    this.good = goodFiles(project, files);
    this.currentVersion = version;
    const outcome: ReloadOutcome = { result: report.length > 0 ? 'failed' : 'ok', version, changed, refused: report };
    for (const l of this.listeners) l(this.current, outcome);
    return outcome;
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
