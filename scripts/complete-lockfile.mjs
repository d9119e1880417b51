#!/usr/bin/env node
/**
 * Adds lock entries for platform-specific optional packages (e.g. @swc/core-darwin-arm64) that
 * npm left out because the registry it resolved against does not carry them. Without the
 * entries `npm ci` refuses the lock ("Missing: … from lock file"); with them it skips the
 * packages that do not fit this platform and fetches the right one elsewhere by version.
 * Run after every `npm install` that changes package-lock.json: `node scripts/complete-lockfile.mjs`.
 */
import { readFileSync, writeFileSync } from 'node:fs';

const OSES = ['darwin', 'linux', 'win32', 'freebsd', 'android', 'openharmony', 'sunos', 'aix', 'netbsd', 'openbsd'];
const CPUS = ['arm64', 'x64', 'ia32', 'arm', 'ppc64', 's390x', 'riscv64', 'loong64', 'wasm32'];

const file = process.argv[2] ?? 'package-lock.json';
const lock = JSON.parse(readFileSync(file, 'utf8'));
const packages = lock.packages ?? {};
const added = [];

for (const meta of Object.values(packages)) {
  for (const [dep, version] of Object.entries(meta.optionalDependencies ?? {})) {
    const key = `node_modules/${dep}`;
    if (packages[key]) continue;
    const base = dep.split('/').pop() ?? dep;
    const os = OSES.filter((o) => base.includes(o));
    const cpu = CPUS.filter((c) => new RegExp(`(^|-)${c}($|-|eabi)`).test(base));
    if (os.length === 0 && cpu.length === 0) continue; // not a platform package: leave npm's view alone
    const entry = { version, dev: meta.dev ?? false, optional: true };
    if (cpu.length) entry.cpu = cpu;
    if (os.length) entry.os = os;
    packages[key] = entry;
    added.push(dep);
  }
}

writeFileSync(file, `${JSON.stringify(lock, null, 2)}\n`);
console.log(added.length ? `added ${added.length} platform entries: ${added.join(', ')}` : 'lock file complete');
