import {
  ExpressionError,
  conditionHasStatusFunction,
  contextReferences,
  evaluateCondition,
  evaluateExpression,
  findExpressions,
  interpolate,
  unknownContexts,
  type ExpressionContext,
} from '../../src/workflow/expressions.js';

const ctx: ExpressionContext = {
  inputs: { service: 'api', count: 3, force: false, env: 'prod' },
  steps: { build: { outputs: { sha: 'abc123', list: '["a","b"]' }, outcome: 'success' } },
  env: { REGION: 'eu-west-1' },
  run: { id: 'r1', requester: 'shell:alice' },
  alert: { labels: { alertname: 'HighErrorRate', severity: 'critical' } },
};

describe('evaluateExpression', () => {
  it.each([
    ["inputs.service == 'api'", true],
    ['inputs.count > 2', true],
    ['steps.build.outputs.sha', 'abc123'],
    ["format('{0}-{1}', inputs.service, env.REGION)", 'api-eu-west-1'],
    ["contains('hello world', 'WORLD')", true],
    ["startsWith(inputs.service, 'a')", true],
    ["endsWith(inputs.service, 'pi')", true],
    ["join(fromJSON(steps.build.outputs.list), ',')", 'a,b'],
    ['toJSON(inputs.count)', '3'],
    ['alert.labels.severity', 'critical'],
    ['inputs.missing', null],
    ['steps.nope.outputs.x', null],
    ['always()', true],
    ['success()', true],
    ['failure()', false],
  ])('%s', (text, expected) => expect(evaluateExpression(text, ctx)).toEqual(expected));

  it('refuses syntax errors with the expression text', () => {
    expect(() => evaluateExpression('inputs.service ==', ctx)).toThrow(ExpressionError);
    expect(() => evaluateExpression('inputs.service ==', ctx)).toThrow(/inputs\.service ==/);
  });
  it('refuses unknown contexts and functions', () => {
    expect(() => evaluateExpression('github.sha', ctx)).toThrow(ExpressionError);
    expect(() => evaluateExpression("launch('x')", ctx)).toThrow(ExpressionError);
  });
  it('never runs JavaScript', () => {
    expect(() => evaluateExpression("process.exit(1)", ctx)).toThrow(ExpressionError);
  });
});

describe('interpolate', () => {
  it('replaces every ${{ }} and keeps the rest', () => {
    expect(interpolate('restart ${{ inputs.service }} x${{ inputs.count }} in ${{env.REGION}}', ctx)).toBe('restart api x3 in eu-west-1');
  });
  it('renders null as empty text, objects as JSON, booleans as words', () => {
    expect(interpolate('[${{ inputs.nope }}] ${{ alert.labels }} ${{ inputs.force }}', ctx)).toBe('[] {"alertname":"HighErrorRate","severity":"critical"} false');
  });
  it('does not close an expression at }} inside a string literal', () => {
    expect(interpolate("${{ format('{0}}}', inputs.service) }}", ctx)).toBe('api}');
  });
  it('refuses an unclosed ${{', () => expect(() => interpolate('x ${{ inputs.service', ctx)).toThrow(ExpressionError));
  it('leaves text without expressions untouched', () => expect(interpolate('plain $HOME {x}', ctx)).toBe('plain $HOME {x}'));
});

describe('evaluateCondition', () => {
  const failed: ExpressionContext = { ...ctx, status: { failed: true, cancelled: false } };
  const cancelled: ExpressionContext = { ...ctx, status: { failed: false, cancelled: true } };
  it('no condition means success()', () => {
    expect(evaluateCondition(undefined, ctx)).toBe(true);
    expect(evaluateCondition(undefined, failed)).toBe(false);
  });
  it('accepts ${{ x }} and bare x alike', () => {
    expect(evaluateCondition("${{ inputs.env == 'prod' }}", ctx)).toBe(true);
    expect(evaluateCondition("inputs.env == 'prod'", ctx)).toBe(true);
    expect(evaluateCondition("inputs.env == 'staging'", ctx)).toBe(false);
  });
  it('implies success() && when no status function is used', () => {
    expect(evaluateCondition("inputs.env == 'prod'", failed)).toBe(false);
    expect(evaluateCondition(true, failed)).toBe(false);
    expect(evaluateCondition('failure()', failed)).toBe(true);
    expect(evaluateCondition("failure() && inputs.env == 'prod'", failed)).toBe(true);
    expect(evaluateCondition('always()', cancelled)).toBe(true);
    expect(evaluateCondition('cancelled()', cancelled)).toBe(true);
    expect(evaluateCondition('success()', cancelled)).toBe(false);
  });
  it('treats empty strings and 0 as false', () => {
    expect(evaluateCondition('inputs.missing', ctx)).toBe(false);
    expect(evaluateCondition('inputs.count', ctx)).toBe(true);
  });
  it('detects status functions', () => {
    expect(conditionHasStatusFunction('${{ always() }}')).toBe(true);
    expect(conditionHasStatusFunction("Failure() || inputs.x == 'y'")).toBe(true);
    expect(conditionHasStatusFunction("inputs.x == 'failure()'")).toBe(false);
    expect(conditionHasStatusFunction(undefined)).toBe(false);
  });
});

describe('analysis helpers', () => {
  it('finds spans with offsets', () => {
    expect(findExpressions('a ${{ x }} b ${{y}}')).toEqual([
      { text: ' x ', start: 2, end: 10 },
      { text: 'y', start: 13, end: 19 },
    ]);
  });
  it('lists context references', () => {
    const refs = contextReferences("steps.build.outputs.sha == inputs.service && contains(env.X, steps['deploy'].outcome) || run.id").map((r) => r.path.join('.'));
    expect(refs.sort()).toEqual(['env.X', 'inputs.service', 'run.id', 'steps.build.outputs.sha', 'steps.deploy.outcome'].sort());
  });
  it('names unknown contexts', () => {
    expect(unknownContexts('github.sha == inputs.x && format(matrix.y)')).toEqual(['github', 'matrix']);
    expect(unknownContexts('inputs.github')).toEqual([]);
  });
});
