/**
 * The validator's look at http URLs: an expression placed where it decides the request's host
 * (the start of the URL, or its host or port) is fine when the workflow itself fixes the value
 * (`env:` literals, a choice input), and worth a warning when a person or a remote system does
 * (a free input, a step output, an alert label): whoever runs the command then picks the server
 * that receives the request and its headers.
 */
import { templateSources } from './expression-sources.js';
import type { ContextReference } from './expressions.js';
import type { Step, Workflow } from './schema.js';
import { urlExpressionParts } from './url-template.js';

export interface UrlWarning {
  /** The `${{ … }}` text, to point at. */
  needle: string;
  message: string;
}

/** Who, outside the workflow file, a reference lets decide a value; undefined when the workflow decides. */
function outsider(ref: ContextReference, wf: Workflow): string | undefined {
  const [context, key] = ref.path;
  if (context === 'inputs') {
    if (key === undefined || key === '*') return 'the inputs';
    return wf.inputs[key]?.type === 'choice' ? undefined : `input \`${key}\``;
  }
  if (context === 'steps') return `a step's output (steps.${key ?? '*'})`;
  if (context === 'alert') return 'the alert';
  return undefined;
}

export function urlHostWarnings(wf: Workflow, step: Step, url: string): UrlWarning[] {
  let parts;
  try {
    parts = urlExpressionParts(url);
  } catch {
    return []; // an unclosed `${{` is reported by the expression checks
  }
  const out: UrlWarning[] = [];
  for (const { span, part } of parts) {
    if (part !== 'base' && part !== 'host') continue;
    const deciders = [...new Set(templateSources(url.slice(span.start, span.end), wf, step).flatMap((r) => outsider(r, wf) ?? []))];
    if (deciders.length === 0) continue;
    out.push({
      needle: url.slice(span.start, span.end),
      message: `${deciders.join(' and ')} decides the host of this URL, so whoever sets it chooses which server gets the request and its headers; fix the host in the workflow (an input then fills an encoded path segment or query value) or make the input a choice`,
    });
  }
  return out;
}
