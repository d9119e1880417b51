/**
 * The frame every page shares: doctype, charset, the bot's own stylesheet and scripts (no inline
 * script, no other origin), and the Content-Security-Policy that enforces that.
 */
import { html, type SafeHtml } from './html.js';

/** Where the pages' assets are served (assets.ts). */
export const ASSET_BASE = '/web/assets';

/**
 * Scripts only from this origin and never inline; styles from this origin plus inline style
 * attributes and <style> elements, which Mermaid writes into the SVG it draws (style cannot run
 * code); images only from here or data: URLs; no frames, plugins, forms elsewhere or <base>.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** Headers of every page and asset (CSP, no sniffing, no referrer leaking a signed link). */
export const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cache-control': 'no-store',
};

export function page(opts: { title: string; body: SafeHtml; scripts?: string[]; data?: Record<string, string>; head?: SafeHtml }): string {
  const data = Object.entries(opts.data ?? {}).map(([k, v]) => html` data-${k}="${v}"`);
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${opts.title}</title>
<link rel="stylesheet" href="${ASSET_BASE}/style.css">
${opts.head}
${(opts.scripts ?? []).map((s) => html`<script src="${ASSET_BASE}/${s}" defer></script>\n`)}</head>
<body${data}>
${opts.body}
</body>
</html>
`.value;
}
