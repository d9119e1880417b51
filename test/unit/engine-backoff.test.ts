import { describe, expect, it } from '@jest/globals';
import { maxAttempts, retryDelayMs } from '../../src/engine/backoff.js';
import { renderTranscript } from '../../src/engine/transcript.js';

describe('engine: retry backoff', () => {
  it('doubles from the base, capped by max_backoff, jittered within the upper half', () => {
    const retry = { attempts: 5, backoff: '1s', max_backoff: '3s' };
    expect(retryDelayMs(retry, 1, () => 0)).toBe(500);
    expect(retryDelayMs(retry, 1, () => 1)).toBe(1000);
    expect(retryDelayMs(retry, 2, () => 1)).toBe(2000);
    expect(retryDelayMs(retry, 3, () => 1)).toBe(3000);
    expect(retryDelayMs(retry, 9, () => 0.5)).toBe(2250);
    expect(maxAttempts(undefined)).toBe(1);
    expect(maxAttempts(retry)).toBe(5);
  });
});

describe('engine: transcript', () => {
  it('shows head and tail of long output and fences backticks', () => {
    const lines = Array.from({ length: 100 }, (_, i) => `line ${i} \`\`\``);
    const md = renderTranscript(
      {
        id: 'r-abc123', workflow: 'w', state: 'succeeded', inputs: { k: '***' }, trigger: { kind: 'cli', source: 'cli', requester: 'shell:alice' },
        createdAt: 0, startedAt: 0, endedAt: 1500, outputs: {},
        steps: [{ id: 's', name: 'S', kind: 'run', phase: 'main', state: 'succeeded', attempt: 1, startedAt: 0, endedAt: 1000, outputs: {}, output: { lines: 100, head: [], tail: [] } }],
      },
      [{ ts: 0, runId: 'r-abc123', type: 'step.output', step: 's', stream: 'stdout', lines }],
    );
    expect(md).toContain('line 0 ```');
    expect(md).toContain('… 60 lines omitted …');
    expect(md).toContain('line 99 ```');
    expect(md).not.toContain('line 50 ');
    expect(md).toContain('````text');
    expect(md).toContain('`k=***`');
  });
});
