/**
 * What a front's parts read of the project, always from the project in force: each view is built
 * again only when a reload put a new project in force, so parts that compile what they read (the
 * router's usages, the alert runbooks' matchers, Discord's typed commands) do it once per version.
 */
import type { AlertsConfig } from '../config/alerts-config.js';
import type { CommandDef, Project } from '../config/load-project.js';
import type { Policy } from '../config/policy.js';
import type { EngineProject } from '../engine/engine.js';
import { derived } from '../lib/live.js';
import type { Workflow } from '../workflow/schema.js';
import { liveEngineProject, ProjectHolder, type ProjectSource } from './project-holder.js';

export interface ProjectViews {
  source: ProjectSource;
  /** Set when the project reloads (serve, worker); undefined for a project fixed at start. */
  holder?: ProjectHolder;
  engine: EngineProject;
  workflows: () => readonly Workflow[];
  commands: () => readonly CommandDef[];
  policy: () => Policy | undefined;
  alerts: () => AlertsConfig | undefined;
  /** `build(project)`, built again for each project put in force. */
  per<T>(build: (project: Project) => T): () => T;
}

/** A project fixed at start (tests, the terminal shell) never changes; its version is `fixed`. */
export function projectViews(project: Project | ProjectHolder): ProjectViews {
  const holder = project instanceof ProjectHolder ? project : undefined;
  const source: ProjectSource = holder ?? { project: project as Project, version: 'fixed' };
  const per = <T>(build: (p: Project) => T): (() => T) => derived(() => source.project, build);
  return {
    source,
    ...(holder ? { holder } : {}),
    engine: liveEngineProject(source),
    workflows: per((p) => [...p.workflows.values()]),
    commands: per((p) => [...p.commands.values()]),
    policy: () => source.project.policy,
    alerts: () => source.project.alerts,
    per,
  };
}
