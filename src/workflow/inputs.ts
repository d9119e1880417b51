/**
 * A workflow's declared inputs compiled to a zod schema that validates what chat, alerts and the
 * CLI pass in. Strings from chat are coerced ("3" -> 3, yes/no -> boolean); defaults applied;
 * pattern, options and required enforced; unknown inputs refused.
 */
import { z } from 'zod';
import { RESERVED_INPUT_NAMES, reservedInputMessage } from './input-names.js';
import type { InputSpec, Workflow } from './schema.js';

export type InputValue = string | number | boolean;

export type InputsResult =
  | { ok: true; values: Record<string, InputValue> }
  | { ok: false; errors: { input: string; message: string }[] };

const TRUE_WORDS = new Set(['true', 'yes', 'y', 'on', '1']);
const FALSE_WORDS = new Set(['false', 'no', 'n', 'off', '0']);

function numberSchema(): z.ZodType<number> {
  return z.preprocess(
    (v) => (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v)) ? Number(v) : v),
    z.number({ error: 'expected a number' }).refine(Number.isFinite, 'expected a finite number'),
  );
}

function booleanSchema(): z.ZodType<boolean> {
  return z.preprocess((v) => {
    if (typeof v !== 'string') return v;
    const word = v.trim().toLowerCase();
    if (TRUE_WORDS.has(word)) return true;
    if (FALSE_WORDS.has(word)) return false;
    return v;
  }, z.boolean({ error: 'expected true or false (yes/no)' }));
}

/** Chat text is untrusted: a bound keeps a pasted log from becoming an input (and an env var). */
export const MAX_INPUT_LENGTH = 4096;

function stringSchema(spec: InputSpec): z.ZodType<string> {
  let s = z.preprocess(
    (v) => (typeof v === 'number' || typeof v === 'boolean' ? String(v) : v),
    z.string({ error: 'expected text' }).max(MAX_INPUT_LENGTH, `expected at most ${MAX_INPUT_LENGTH} characters`),
  );
  if (spec.pattern !== undefined) {
    // The whole value must match, anchors or not: a pattern like [a-z]+ must not let "api; rm -rf /" through.
    const re = new RegExp(`^(?:${spec.pattern})$`);
    s = s.refine((v) => re.test(v), `does not match the pattern ${spec.pattern}`);
  }
  return s;
}

function choiceSchema(spec: InputSpec): z.ZodType<string> {
  const options = spec.options ?? [];
  return z.preprocess(
    (v) => (typeof v === 'number' || typeof v === 'boolean' ? String(v) : v),
    z.string().refine((v) => options.includes(v), `expected one of: ${options.join(', ')}`),
  );
}

/** The zod schema of one declared input (without required/default handling). */
export function inputValueSchema(spec: InputSpec): z.ZodType<InputValue> {
  switch (spec.type) {
    case 'number':
      return numberSchema();
    case 'boolean':
      return booleanSchema();
    case 'choice':
      return choiceSchema(spec);
    default:
      return stringSchema(spec);
  }
}

/** Compiles a workflow's inputs to one strict object schema (unknown keys refused). */
export function compileInputsSchema(workflow: Workflow): z.ZodType<Record<string, InputValue>> {
  const shape: Record<string, z.ZodType<InputValue | undefined>> = {};
  for (const [name, spec] of Object.entries(workflow.inputs)) {
    const value = inputValueSchema(spec);
    if (spec.default !== undefined) shape[name] = value.optional().transform((v) => v ?? coerceDefault(spec));
    else if (spec.required) shape[name] = value;
    else shape[name] = value.optional();
  }
  return z.strictObject(shape).transform((obj) => {
    const out: Record<string, InputValue> = {};
    for (const [k, v] of Object.entries(obj)) if (v !== undefined) out[k] = v as InputValue;
    return out;
  });
}

function coerceDefault(spec: InputSpec): InputValue {
  const parsed = inputValueSchema(spec).safeParse(spec.default);
  // The validator checks defaults against their type; fall back to the raw value regardless.
  return parsed.success ? parsed.data : (spec.default as InputValue);
}

/**
 * Compiled schemas per loaded workflow: building (and zod's compiling) a schema on every start
 * cost about 6% of a front's CPU under load. Loaded workflows are never mutated, so the object
 * is the key; a reloaded file is a new object.
 */
const compiled = new WeakMap<Workflow, z.ZodType<Record<string, InputValue>>>();

function schemaOf(workflow: Workflow): z.ZodType<Record<string, InputValue>> {
  let schema = compiled.get(workflow);
  if (schema === undefined) {
    schema = compileInputsSchema(workflow);
    compiled.set(workflow, schema);
  }
  return schema;
}

/** Validates raw inputs (from chat, an alert or the CLI) against a workflow's declared inputs. */
export function validateInputs(workflow: Workflow, raw: Record<string, unknown>): InputsResult {
  // Empty strings from chat ("service=") mean "not given", so defaults and required checks apply.
  // Reserved names are refused by name: assigned into a plain object, `__proto__` would vanish.
  const reserved = Object.keys(raw).filter((k) => RESERVED_INPUT_NAMES.has(k));
  if (reserved.length > 0) return { ok: false, errors: reserved.map((input) => ({ input, message: reservedInputMessage(input) })) };
  const cleaned = Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== undefined && v !== ''));
  const result = schemaOf(workflow).safeParse(cleaned);
  if (result.success) return { ok: true, values: result.data };
  const errors: { input: string; message: string }[] = [];
  for (const issue of result.error.issues) {
    if (issue.code === 'unrecognized_keys') {
      const known = Object.keys(workflow.inputs);
      for (const key of issue.keys)
        errors.push({ input: key, message: `unknown input; this workflow takes ${known.length > 0 ? known.join(', ') : 'no inputs'}` });
      continue;
    }
    const input = String(issue.path[0] ?? '');
    const missing = issue.code === 'invalid_type' && cleaned[input] === undefined;
    errors.push({ input, message: missing ? 'required input is missing' : issue.message });
  }
  return { ok: false, errors };
}

/** Names of inputs whose values must be masked everywhere. */
export function secretInputNames(workflow: Workflow): string[] {
  return Object.entries(workflow.inputs)
    .filter(([, spec]) => spec.secret)
    .map(([name]) => name)
    .sort();
}
