import { describe, expect, it } from '@jest/globals';
import { html, plainText } from '../../src/web/html.js';
import { renderRunPage } from '../../src/web/run-page.js';
import type { RunRecord } from '../../src/engine/types.js';
import { workflowSchema } from '../../src/workflow/schema.js';

const NASTY = '<script>alert(1)</script><img src=x onerror=alert(2)>"\'&';

describe('html templates', () => {
  it('escapes every interpolated value, nested templates stay as they are', () => {
    const inner = html`<b>${NASTY}</b>`;
    const out = html`<p title="${NASTY}">${inner}${[NASTY, 1]}${undefined}${false}${null}</p>`.value;
    expect(out).not.toContain('<script>');
    expect(out).not.toContain('<img');
    expect(out).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(out).toContain('title="&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;&quot;&#39;&amp;"');
    expect(out.startsWith('<p title=')).toBe(true);
    expect(out).toContain('<b>&lt;script&gt;');
    expect(out.endsWith('1</p>')).toBe(true);
  });

  it('makes terminal control sequences inert text', () => {
    expect(plainText('\x1b[31mred\x1b[0m plain')).toBe('red plain');
    expect(plainText('bell\x07 and\tTab')).toBe('bell\ufffd and\tTab');
  });
});

describe('the run page', () => {
  const wf = workflowSchema.parse({ name: 'wf-x', steps: [{ id: 'a', name: '<i>A</i>', run: 'echo hi' }, { id: 'b', needs: ['a'], run: 'true' }] });
  const run: RunRecord = {
    id: 'r-abc123',
    workflow: 'wf-<x>',
    description: NASTY,
    state: 'failed',
    inputs: { service: '<svc>', token: '***' },
    trigger: { kind: 'chat', source: 'slack', requester: 'slack:<U1>', channel: '#ops"<', text: NASTY },
    createdAt: 1_800_000_000_000,
    startedAt: 1_800_000_000_100,
    endedAt: 1_800_000_001_100,
    error: NASTY,
    outputs: { '<k>': NASTY },
    steps: [
      { id: 'a', name: '<i>A</i>', kind: 'run', phase: 'main', state: 'failed', attempt: 1, outputs: { o: NASTY }, error: NASTY, exitCode: 1, startedAt: 1_800_000_000_100, endedAt: 1_800_000_001_000 },
      { id: 'b', name: 'b', kind: 'run', phase: 'main', state: 'skipped', attempt: 1, outputs: {} },
    ],
  };
  const events = [{ id: '5-0', ts: 1, runId: run.id, type: 'step.output' as const, step: 'a', stream: 'stdout' as const, lines: [NASTY, '\x1b[1mbold\x1b[0m'] }];
  const body = renderRunPage({ run, events, workflow: wf, lastEventId: '5-0' }, { query: 'exp=1&sig=x', run: (id) => `/runs/${id}?s` });

  it('escapes every value from the run: no markup of theirs survives', () => {
    expect(body).not.toMatch(/<script>alert/);
    expect(body).not.toMatch(/<img/);
    expect(body).not.toMatch(/<i>A<\/i>/);
    expect(body).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(body).toContain('bold\n');
    expect(body).not.toContain('\x1b');
  });

  it('has no inline script: only the bot’s own files', () => {
    const scripts = body.match(/<script[^>]*>/g) ?? [];
    expect(scripts).toEqual(['<script src="/web/assets/mermaid.min.js" defer>', '<script src="/web/assets/run-page.js" defer>']);
    expect(body).not.toMatch(/<[a-z][^>]*\son[a-z]+=/i);
  });

  it('shows inputs as stored (secrets are ***), the graph with step states, and the stream position', () => {
    expect(body).toContain('<th>token</th><td><code>***</code></td>');
    expect(body).toContain('class s_a st_failed');
    expect(body).toContain('class s_b st_skipped');
    expect(body).toContain('data-after="5-0"');
    expect(body).toContain('href="/runs/r-abc123/transcript?exp=1&amp;sig=x"');
  });
});
