import { secretInputNames, validateInputs } from '../../src/workflow/inputs.js';
import { workflowSchema, type Workflow } from '../../src/workflow/schema.js';

const wf: Workflow = workflowSchema.parse({
  name: 'restart-service',
  inputs: {
    service: { type: 'string', required: true, pattern: '^[a-z][a-z0-9-]{0,30}$' },
    env: { type: 'choice', options: ['staging', 'prod'], default: 'staging' },
    count: { type: 'number', default: 1 },
    force: { type: 'boolean', default: false },
    api_key: { type: 'string', secret: true },
    note: { type: 'string' },
  },
  steps: [{ id: 'a', run: 'true' }],
});

describe('validateInputs', () => {
  it('validates a reloaded workflow of the same name by its own inputs, not a cached older version', () => {
    expect(validateInputs(wf, { service: 'api', region: 'eu' })).toMatchObject({ ok: false });
    const reloaded = workflowSchema.parse({ name: 'restart-service', inputs: { region: { type: 'string', required: true } }, steps: [{ id: 'a', run: 'true' }] });
    expect(validateInputs(reloaded, { region: 'eu' })).toEqual({ ok: true, values: { region: 'eu' } });
    expect(validateInputs(wf, { service: 'api' })).toMatchObject({ ok: true });
  });

  it('coerces chat strings and applies defaults', () => {
    expect(validateInputs(wf, { service: 'api', count: '3', force: 'yes' })).toEqual({
      ok: true,
      values: { service: 'api', env: 'staging', count: 3, force: true },
    });
    expect(validateInputs(wf, { service: 'api', force: 'no', env: 'prod' })).toEqual({
      ok: true,
      values: { service: 'api', env: 'prod', count: 1, force: false },
    });
  });
  it('treats an empty value as not given', () => {
    const r = validateInputs(wf, { service: 'api', count: '' });
    expect(r.ok && r.values.count).toBe(1);
  });
  it('reports every problem by input', () => {
    const r = validateInputs(wf, { count: 'many', env: 'dev', force: 'maybe', bogus: 'x' });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const byInput = Object.fromEntries(r.errors.map((e) => [e.input, e.message]));
    expect(byInput.service).toBe('required input is missing');
    expect(byInput.count).toMatch(/number/);
    expect(byInput.env).toBe('expected one of: staging, prod');
    expect(byInput.force).toMatch(/true or false/);
    expect(byInput.bogus).toMatch(/unknown input; this workflow takes service, env/);
  });
  it('enforces the pattern', () => {
    const r = validateInputs(wf, { service: 'API; rm -rf /' });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors).toEqual([{ input: 'service', message: 'does not match the pattern ^[a-z][a-z0-9-]{0,30}$' }]);
  });
  it('accepts typed values from the CLI or JSON as they are', () => {
    const r = validateInputs(wf, { service: 'api', count: 5, force: true });
    expect(r.ok && r.values).toMatchObject({ count: 5, force: true });
  });
  it('lists secret inputs', () => expect(secretInputNames(wf)).toEqual(['api_key']));
});

describe('input bounds', () => {
  it('refuses overly long text', () => {
    const r = validateInputs(wf, { service: 'api', note: 'x'.repeat(5000) });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors).toEqual([{ input: 'note', message: 'expected at most 4096 characters' }]);
  });
});

describe('patterns', () => {
  it('match the whole value even without anchors', () => {
    const loose = workflowSchema.parse({ name: 'x', inputs: { s: { pattern: '[a-z]+' } }, steps: [{ id: 'a', run: 'true' }] });
    expect(validateInputs(loose, { s: 'api' }).ok).toBe(true);
    expect(validateInputs(loose, { s: 'api; rm -rf /' }).ok).toBe(false);
  });
});
