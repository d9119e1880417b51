/** EnvSecretSource: CHATOPS_SECRET_<NAME>, then a file in CHATOPS_SECRETS_DIR; case-insensitive names; empty is missing. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EnvSecretSource } from '../../src/config/secret-source.js';

let dir = '';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'chatops-source-'));
  writeFileSync(join(dir, 'db_password'), 'from-file\r\n\n');
  writeFileSync(join(dir, 'EMPTY'), '\n');
  writeFileSync(join(dir, 'SHADOWED'), 'file-value');
  writeFileSync(join(dir, '.hidden'), 'no');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('EnvSecretSource', () => {
  const source = () => new EnvSecretSource({ CHATOPS_SECRET_API_TOKEN: 'from-env', CHATOPS_SECRET_SHADOWED: 'env-value', CHATOPS_SECRET_BLANK: '', CHATOPS_SECRET_KEY: 'sealing-key' }, dir);

  it('reads the environment first, then the folder, ignoring case and trimming trailing newlines', () => {
    const s = source();
    expect(s.get('api_token')).toBe('from-env');
    expect(s.get('DB_PASSWORD')).toBe('from-file');
    expect(s.get('shadowed')).toBe('env-value');
  });

  it('treats empty values, the reserved KEY and bad names as missing', () => {
    const s = source();
    for (const name of ['BLANK', 'EMPTY', 'KEY', 'hidden', '.hidden', '../x', 'NOPE']) expect(s.get(name)).toBeUndefined();
  });

  it('lists every value for masking, the sealing key included', () => {
    expect(source().all().sort()).toEqual(['env-value', 'file-value', 'from-env', 'from-file', 'sealing-key']);
  });

  it('explains a missing secret with how to set it, naming only that one', () => {
    const s = source();
    expect(s.explainMissing('NOPE')).toBe(`secret \`NOPE\` is not set: set CHATOPS_SECRET_NOPE or put a file NOPE in ${dir} on the worker`);
    expect(s.explainMissing('EMPTY')).toMatch(/^secret `EMPTY` is not set \(.*EMPTY is empty, unreadable/);
    expect(s.explainMissing('BLANK')).toMatch(/\(CHATOPS_SECRET_BLANK is empty\)/);
    expect(new EnvSecretSource({}).explainMissing('X')).toBe('secret `X` is not set: set CHATOPS_SECRET_X or put a file X in a folder named by CHATOPS_SECRETS_DIR on the worker');
    expect(new EnvSecretSource({}, join(dir, 'nope')).explainMissing('X')).toMatch(/or create CHATOPS_SECRETS_DIR \(.*nope, which does not exist\) with a file X/);
    expect(s.explainMissing('key')).toMatch(/is the bot's own sealing key/);
  });
});
