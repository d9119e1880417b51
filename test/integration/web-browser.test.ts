/**
 * The run page in a real browser (Chromium through playwright-core): opened from its signed link
 * while the run runs, it shows steps change state and output arrive live, then the final state,
 * with hostile output shown as text and nothing executed, and no Content-Security-Policy
 * violation. Tampered and expired links and the list page without a token are refused. A
 * screenshot of the finished page is kept in test-artifacts/ (not committed).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { DEFAULT_LINK_TTL_MS, LinkSigner, linkQueryString } from '../../src/web/link-signing.js';
import { launchChromium } from '../helpers/browser.js';
import { cli, harness, workflowsFrom, type Harness } from '../helpers/engine-harness.js';
import { gate, startWebFront, WEB_KEY, type WebTestFront } from '../helpers/web-front.js';

const WAIT = { timeout: 20_000 };

const LIVE = `
name: browser-live
inputs:
  gate: { type: string, required: true }
  password: { type: string, secret: true, default: "hunter2-hunter2" }
steps:
  - id: build
    name: Build it
    env: { GATE: "\${{ inputs.gate }}" }
    run: |
      echo "building now"
      printf '<script>window.pwned=1</script><img src=x onerror="window.pwned=2"> \\033[32mgreen\\033[0m\\n'
      while [ ! -f "$GATE/one" ]; do sleep 0.05; done
      echo "build finished"
  - id: ship
    needs: [build]
    env: { GATE: "\${{ inputs.gate }}" }
    run: |
      echo "shipping to <prod>"
      while [ ! -f "$GATE/two" ]; do sleep 0.05; done
      echo "version=1.2.3" >> "$CHATOPS_OUTPUT"
outputs: { version: "\${{ steps.ship.outputs.version }}" }
`;

let h: Harness;
let front: WebTestFront;
let browser: Browser;

beforeAll(async () => {
  h = await harness(workflowsFrom(LIVE), { concurrency: 4 });
  front = await startWebFront(h);
  browser = await launchChromium();
});

afterAll(async () => {
  // Pages a failed test left open still hold their event streams: close them first.
  for (const p of pages) await p.close().catch(() => undefined);
  await browser?.close();
  await front?.close();
  await h?.close();
}, 60_000);

const pages: Page[] = [];

async function newPage(): Promise<{ page: Page; violations: string[]; errors: string[] }> {
  const page = await browser.newPage();
  pages.push(page);
  const violations: string[] = [];
  const errors: string[] = [];
  page.on('console', (m) => {
    if (/Content Security Policy|Refused to/i.test(m.text())) violations.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(String(e)));
  return { page, violations, errors };
}


/** The page's DOM as the few checks below see it (the project compiles without the DOM library). */
type Dom = { document: { querySelector(s: string): { textContent: string | null; getAttribute(n: string): string | null } | null } };

/** Waits until the element's text includes `text` (a function, not a string: the page's CSP forbids eval). */
const waitText = (page: Page, sel: string, text: string) =>
  page.waitForFunction(([s, t]) => ((globalThis as unknown as Dom).document.querySelector(s)?.textContent ?? '').includes(t), [sel, text] as const, WAIT);
const waitAttr = (page: Page, sel: string, attr: string, value: string) =>
  page.waitForFunction(([s, a, v]) => (globalThis as unknown as Dom).document.querySelector(s)?.getAttribute(a) === v, [sel, attr, value] as const, WAIT);

const stepState = (page: Page, step: string) => page.locator(`#step-${step}`).getAttribute('data-state');
const stepOutput = (page: Page, step: string) => page.locator(`#step-${step} pre.output`).textContent();

describe('the run page in Chromium', () => {
  it('follows a run live from its signed link to its final state', async () => {
    const g = gate();
    try {
      const { run } = await h.engine.startRun({ workflow: 'browser-live', inputs: { gate: g.dir }, trigger: cli });
      await h.waitStep(run.id, 'build', ['running']);
      const { page, violations, errors } = await newPage();
      const res = await page.goto(front.base + front.link(run.id));
      expect(res?.status()).toBe(200);
      // A marker on this document: if the page reloaded instead of updating live it would be gone.
      await page.evaluate(() => ((globalThis as unknown as { marker: number }).marker = 42));

      await waitText(page, '#step-build pre.output', 'window.pwned=1');
      expect(await stepState(page, 'build')).toBe('running');
      expect(await page.locator('#live').isVisible()).toBe(true);
      await page.waitForSelector('#graph svg', WAIT);

      g.open('one');
      await waitAttr(page, '#step-build', 'data-state', 'succeeded');
      await waitText(page, '#step-ship pre.output', 'shipping to <prod>');
      expect(await stepState(page, 'ship')).toBe('running');
      expect(await stepOutput(page, 'build')).toContain('build finished');
      expect(await page.locator('#graph svg [id*="flowchart-s_build-"]').getAttribute('class')).toContain('st_succeeded');
      expect(await page.locator('#graph svg [id*="flowchart-s_ship-"]').getAttribute('class')).toContain('st_running');

      g.open('two');
      await waitAttr(page, '#run', 'data-state', 'succeeded');
      await waitText(page, '#result dl.outputs', '1.2.3');
      await page.waitForSelector('#graph svg', WAIT);
      expect(await stepState(page, 'ship')).toBe('succeeded');
      expect(await page.evaluate(() => (globalThis as unknown as { marker?: number }).marker)).toBe(42);
      expect(await page.locator('#live').isVisible()).toBe(false);

      // Hostile output is text: shown, never run.
      const out = (await stepOutput(page, 'build')) ?? '';
      expect(out).toContain('<script>window.pwned=1</script><img src=x onerror="window.pwned=2"> green');
      expect(out).not.toContain('\x1b');
      expect(await page.evaluate(() => (globalThis as unknown as { pwned?: number }).pwned)).toBeUndefined();
      expect(await page.locator('#steps img, #steps script').count()).toBe(0);
      // The secret input is masked on the page.
      expect(await page.content()).not.toContain('hunter2-hunter2');
      expect(await page.locator('table.inputs').textContent()).toContain('***');
      expect(violations).toEqual([]);
      expect(errors).toEqual([]);

      const dir = join(process.cwd(), 'test-artifacts');
      mkdirSync(dir, { recursive: true });
      await page.screenshot({ path: join(dir, 'run-page-finished.png'), fullPage: true });
      await page.close();
    } finally {
      g.open('one');
      g.open('two');
      g.remove();
    }
  }, 90_000);

  it('refuses a tampered or expired link, and the list without the token', async () => {
    const g = gate();
    g.open('one');
    g.open('two');
    try {
      const { run } = await h.engine.startRun({ workflow: 'browser-live', inputs: { gate: g.dir }, trigger: cli });
      await h.waitFor(run.id);
      const { page } = await newPage();
      const good = front.link(run.id);
      let res = await page.goto(front.base + good.replace(/exp=(\d)/, (_m, d: string) => `exp=${d === '9' ? '8' : '9'}`));
      expect(res?.status()).toBe(403);
      expect(await page.locator('h1').textContent()).toBe('This link is not valid');
      const old = new LinkSigner([WEB_KEY], () => Date.now() - DEFAULT_LINK_TTL_MS - 60_000).sign('run', run.id);
      if (!old) throw new Error('no link');
      res = await page.goto(`${front.base}/runs/${run.id}?${linkQueryString(old)}`);
      expect(res?.status()).toBe(403);
      expect(await page.locator('h1').textContent()).toBe('This link has expired');
      expect(await page.content()).not.toContain('building now');
      res = await page.goto(`${front.base}/runs`);
      expect(res?.status()).toBe(401);
      expect(await page.locator('h1').textContent()).toBe('Sign in');
      await page.close();
    } finally {
      g.remove();
    }
  }, 60_000);
});
