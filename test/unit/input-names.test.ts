/**
 * Input names as typed: a name given twice and a name that would reach an object's prototype are
 * refused with a clear message, at every door (chatops run, the engine's input check, workflow files).
 */
import { describe, expect, it } from '@jest/globals';
import { parseInputs } from '../../src/cli/run.js';
import { loadWorkflowText } from '../../src/config/load-files.js';
import { formatProblem } from '../../src/config/yaml-source.js';
import { validateInputs } from '../../src/workflow/inputs.js';
import { workflowSchema } from '../../src/workflow/schema.js';

const wf = workflowSchema.parse({ name: 'greet', inputs: { msg: { type: 'string' } }, steps: [{ id: 'a', run: 'true' }] });

describe('chatops run --input', () => {
  it('refuses a key given twice instead of keeping the last value', () => {
    expect(parseInputs(['msg=1', 'msg=2'])).toBe('--input msg is given twice; give each input once');
  });
  it.each(['__proto__', 'constructor', 'prototype'])('refuses %s instead of dropping it', (key) => {
    expect(parseInputs([`${key}=x`, 'msg=hi'])).toBe(`--input ${key} cannot be an input name (__proto__, constructor and prototype are reserved)`);
  });
  it('keeps ordinary pairs, values with = in them included', () => {
    expect(parseInputs(['msg=a=b', 'other='])).toEqual({ msg: 'a=b', other: '' });
  });
});

describe('validateInputs', () => {
  it('refuses an own __proto__ key by name (JSON bodies carry one) rather than losing it', () => {
    const raw = JSON.parse('{"msg":"hi","__proto__":"x"}') as Record<string, unknown>;
    expect(validateInputs(wf, raw)).toEqual({ ok: false, errors: [{ input: '__proto__', message: '__proto__ cannot be an input name (__proto__, constructor and prototype are reserved)' }] });
    expect(validateInputs(wf, { msg: 'hi', constructor: 'x' })).toMatchObject({ ok: false, errors: [{ input: 'constructor' }] });
  });
});

describe('workflow files', () => {
  it('refuse declaring an input with a reserved name, at its line', () => {
    const loaded = loadWorkflowText('w.yaml', 'name: w\ninputs:\n  constructor: { type: string }\nsteps:\n  - id: a\n    run: "true"\n');
    expect(loaded.problems.map(formatProblem)).toEqual([expect.stringMatching(/^w\.yaml:3:3: inputs\.constructor.*reserved/)]);
  });
});
