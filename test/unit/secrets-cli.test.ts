/** `chatops validate` and `chatops docs` say which secrets each workflow needs. */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { docsCommand } from '../../src/cli/docs.js';
import { validateCommand, type Output } from '../../src/cli/validate.js';

function capture(): Output & { outLines: string[]; errLines: string[] } {
  const outLines: string[] = [];
  const errLines: string[] = [];
  return { outLines, errLines, out: (l) => outLines.push(l), err: (l) => errLines.push(l) };
}

const DEPLOY = `name: deploy
env: { TOKEN: '\${{ secrets.API_TOKEN }}' }
steps:
  - id: push
    env: { PW: '\${{ secrets.registry_password }}' }
    run: echo push
  - id: tell
    needs: push
    http: { url: 'http://127.0.0.1:9/hook?k=\${{ secrets.API_TOKEN }}' }
`;
const PLAIN = 'name: plain\nsteps:\n  - id: a\n    run: echo a\n';

describe('secrets a workflow needs', () => {
  let dir = '';
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'chatops-secrets-cli-'));
    await mkdir(join(dir, 'workflows'));
    await writeFile(join(dir, 'workflows', 'deploy.yaml'), DEPLOY);
    await writeFile(join(dir, 'workflows', 'plain.yaml'), PLAIN);
    await writeFile(join(dir, 'policy.yaml'), 'roles: {}\nrules: []\n');
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('validate lists them on stderr, one line per workflow that reads any, and stays clean', async () => {
    const io = capture();
    expect(await validateCommand([dir], io)).toBe(0);
    expect(io.outLines).toEqual([]);
    expect(io.errLines.filter((l) => l.includes('needs secrets'))).toEqual([
      expect.stringMatching(/workflows\/deploy\.yaml: needs secrets API_TOKEN, registry_password \(CHATOPS_SECRET_<NAME> or a file <NAME> in \$CHATOPS_SECRETS_DIR on every worker\)$/),
    ]);
  });

  it('docs shows them in a Secrets section, and nothing for a workflow without', async () => {
    const out = join(dir, 'out');
    await docsCommand({ dir, out }, capture());
    const md = await readFile(join(out, 'deploy.md'), 'utf8');
    expect(md).toContain('## Secrets');
    expect(md).toContain('| `API_TOKEN` | `CHATOPS_SECRET_API_TOKEN` | `$CHATOPS_SECRETS_DIR/API_TOKEN` |');
    expect(md).toContain('| `registry_password` | `CHATOPS_SECRET_REGISTRY_PASSWORD` | `$CHATOPS_SECRETS_DIR/registry_password` |');
    expect(await readFile(join(out, 'plain.md'), 'utf8')).not.toContain('## Secrets');
  });
});
