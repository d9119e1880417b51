import { describe, expect, it } from '@jest/globals';
import { formatRun as shellRun } from '../../src/adapters/shell/ansi-format.js';
import { formatRun as slackRun } from '../../src/adapters/slack/block-kit/format-run.js';
import { buildRunView } from '../../src/chat/render-model.js';
import { runUrlMaker } from '../../src/web/front.js';
import { LinkSigner } from '../../src/web/link-signing.js';
import { runRecord, step } from '../helpers/run-records.js';

const KEY = 'k'.repeat(32);

describe('the "View" link in a run header', () => {
  it('is a signed page URL under CHATOPS_PUBLIC_URL, and nothing without one or without a key', () => {
    const signer = new LinkSigner([KEY]);
    const url = runUrlMaker(signer, 'https://ops.example.com/')('r-abc123') ?? '';
    expect(url).toMatch(/^https:\/\/ops\.example\.com\/runs\/r-abc123\?exp=\d+&sig=[A-Za-z0-9_-]{43}$/);
    const [, query] = url.split('?');
    expect(signer.verify('run', 'r-abc123', Object.fromEntries(new URLSearchParams(query))).ok).toBe(true);
    expect(runUrlMaker(signer, undefined)('r-abc123')).toBeUndefined();
    expect(runUrlMaker(new LinkSigner([]), 'https://ops.example.com')('r-abc123')).toBeUndefined();
  });

  it('shows on Slack and in the terminal when the view has one', () => {
    const view = buildRunView(runRecord({ steps: [step('a', { state: 'running', startedAt: Date.now() })] }), Date.now());
    expect(JSON.stringify(slackRun(view))).not.toContain('|View>');
    expect(shellRun(view, { color: false }).join('\n')).not.toContain('View:');
    view.link = 'https://ops.example.com/runs/r-1?exp=1&sig=x';
    // Slack asks for & < > in a link's URL to be escaped (it decodes them back).
    expect(JSON.stringify(slackRun(view))).toContain('<https://ops.example.com/runs/r-1?exp=1&amp;sig=x|View>');
    expect(shellRun(view, { color: false }).join('\n')).toContain('  View: https://ops.example.com/runs/r-1?exp=1&sig=x');
  });
});
