/**
 * Stack traces of the bundled command line (dist/cli, scripts/bundle-cli.mjs) name the sources:
 * `src/cli/validate.ts:40:7`, not `dist/cli/chunk-5A4LGDQC.js:9120:11`. Node.js's own source map
 * support (`--enable-source-maps`, process.setSourceMapsEnabled) reads and parses the maps of every
 * module as it loads, the external packages' too: about a tenth more time for `chatops validate`.
 * This does the work only when a stack trace is formatted, and only for the bundle's files: each
 * file's map is read the first time one of its frames is shown, then kept.
 */
import { existsSync, readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Maps each frame in a file of `bundleDir` that has a `.map` beside it; other frames are left as they are. */
export function mapBundleStacks(bundleDir: string = dirname(fileURLToPath(import.meta.url))): void {
  const maps = new Map<string, SourceMap | null>();
  const mapOf = (file: string): SourceMap | null => {
    let map = maps.get(file);
    if (map === undefined) {
      const path = `${file}.map`;
      map = existsSync(path) ? new SourceMap(JSON.parse(readFileSync(path, 'utf8')) as ConstructorParameters<typeof SourceMap>[0]) : null;
      maps.set(file, map);
    }
    return map;
  };

  const mapped = (site: NodeJS.CallSite): string => {
    const text = String(site);
    const url = site.getFileName();
    const line = site.getLineNumber();
    const column = site.getColumnNumber();
    if (!url?.startsWith('file:') || line === null || column === null) return text;
    const file = fileURLToPath(url);
    if (dirname(file) !== bundleDir) return text;
    const entry = mapOf(file)?.findEntry(line - 1, column - 1);
    // findEntry answers {} where the map has nothing for the position.
    if (entry === undefined || !('originalSource' in entry)) return text;
    const source = resolve(bundleDir, entry.originalSource);
    return text.replace(`${url}:${line}:${column}`, `${source}:${entry.originalLine + 1}:${entry.originalColumn + 1}`);
  };
  // A stack trace is still shown when its frame cannot be mapped (an unreadable map): as it is.
  const frame = (site: NodeJS.CallSite): string => {
    try {
      return mapped(site);
    } catch {
      return String(site);
    }
  };

  Error.prepareStackTrace = (error: Error, sites: NodeJS.CallSite[]) => {
    let head: string;
    try {
      head = Error.prototype.toString.call(error);
    } catch {
      head = 'Error';
    }
    return [head, ...sites.map((s) => `    at ${frame(s)}`)].join('\n');
  };
}
