/**
 * The step graph of a workflow as a Mermaid flowchart: steps as nodes, needs as edges, conditions
 * as decision diamonds in front of their step, approvals as hexagons, on_failure as its own box.
 * Output is a pure function of the workflow, so rendered docs diff cleanly.
 */
import { actionOf, type Step, type Workflow } from './schema.js';

/** Mermaid label text: quotes and angle brackets escaped, long text shortened. */
export function mermaidText(text: string, max = 60): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  const short = flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
  return short.replace(/&/g, '#amp;').replace(/"/g, '#quot;').replace(/</g, '#lt;').replace(/>/g, '#gt;');
}

function nodeId(prefix: string, id: string): string {
  // Mermaid node ids: keep them to letters, digits and _ (step ids may hold '-').
  return `${prefix}_${id.replace(/[^A-Za-z0-9_]/g, '_')}`;
}

/** The node id of a step in renderMermaid's graph (the web page colours nodes by step state). */
export function stepNodeId(phase: 'main' | 'on_failure', stepId: string): string {
  return nodeId(phase === 'main' ? 's' : 'f', stepId);
}

function conditionLabel(cond: string | boolean): string {
  const text = typeof cond === 'boolean' ? String(cond) : cond.trim().replace(/^\$\{\{\s*([\s\S]*?)\s*\}\}$/, '$1');
  return `if ${text}`;
}

function stepNode(step: Step, nid: string): string {
  const kind = actionOf(step);
  const title = step.name !== undefined ? `${step.id}: ${step.name}` : step.id;
  switch (kind) {
    case 'approval':
      return `${nid}{{"${mermaidText(`approval: ${title}`)}"}}`;
    case 'notify':
      return `${nid}>"${mermaidText(`notify: ${title}`)}"]`;
    case 'sleep':
      return `${nid}(["${mermaidText(`sleep ${step.sleep ?? ''}: ${title}`)}"])`;
    case 'workflow':
      return `${nid}[["${mermaidText(`workflow ${step.workflow?.name ?? ''}: ${title}`)}"]]`;
    case 'http':
      return `${nid}["${mermaidText(`http ${step.http?.method ?? 'GET'}: ${title}`)}"]`;
    default:
      return `${nid}["${mermaidText(title)}"]`;
  }
}

function renderSteps(steps: Step[], prefix: string, entry: string, indent: string, classes: string[]): string[] {
  const lines: string[] = [];
  const ids = new Set(steps.map((s) => s.id));
  for (const step of steps) {
    const nid = nodeId(prefix, step.id);
    lines.push(`${indent}${stepNode(step, nid)}`);
    const sources = step.needs.filter((n) => ids.has(n)).map((n) => nodeId(prefix, n));
    if (sources.length === 0) sources.push(entry);
    let target = nid;
    if (step.if !== undefined) {
      const cid = `${nid}_if`;
      lines.push(`${indent}${cid}{"${mermaidText(conditionLabel(step.if))}"}`);
      lines.push(`${indent}${cid} -->|yes| ${nid}`);
      target = cid;
    }
    for (const src of sources) lines.push(`${indent}${src} --> ${target}`);
    if (step.continue_on_error) classes.push(`  class ${nid} soft`);
    if (actionOf(step) === 'approval') classes.push(`  class ${nid} approval`);
  }
  return lines;
}

/** The whole flowchart, without the surrounding ``` fence. */
export function renderMermaid(wf: Workflow): string {
  const lines = ['flowchart TD', '  start(["start"])'];
  // Class assignments go after the classDefs, at the end, where every renderer accepts them.
  const classes: string[] = [];
  lines.push(...renderSteps(wf.steps, 's', 'start', '  ', classes));
  if (wf.on_failure && wf.on_failure.length > 0) {
    lines.push('  subgraph on_failure["on failure"]');
    lines.push('    failed(["run failed"])');
    lines.push(...renderSteps(wf.on_failure, 'f', 'failed', '    ', classes));
    lines.push('  end');
  }
  lines.push('  classDef approval fill:#fff4d6,stroke:#c98a00');
  lines.push('  classDef soft stroke-dasharray: 4 3');
  lines.push(...classes);
  return lines.join('\n');
}
