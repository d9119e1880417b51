import { existsSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { createOutputsFile, describeProblems, MAX_OUTPUTS_FILE_BYTES, parseOutputs } from '../../src/actions/outputs-file.js';

describe('parseOutputs', () => {
  it('reads key=value lines; the value is everything after the first =', () => {
    expect(parseOutputs('a=1\nurl=http://x/?q=1&r=2\nempty=\n')).toEqual({ ok: true, outputs: { a: '1', url: 'http://x/?q=1&r=2', empty: '' } });
  });

  it('reads multi-line values with a delimiter, as GitHub does', () => {
    const text = 'notes<<EOF\nline 1\n\nline 3 with a=b\nEOF\nafter=yes\n';
    expect(parseOutputs(text)).toEqual({ ok: true, outputs: { notes: 'line 1\n\nline 3 with a=b', after: 'yes' } });
  });

  it('accepts CRLF, blank lines, a missing final newline and an empty heredoc', () => {
    expect(parseOutputs('a=1\r\n\r\nb<<END\r\nx\r\nEND\r\nc<<Z\nZ\nd=4')).toEqual({ ok: true, outputs: { a: '1', b: 'x', c: '', d: '4' } });
    expect(parseOutputs('')).toEqual({ ok: true, outputs: {} });
  });

  it('treats a line as heredoc only when << comes before =', () => {
    expect(parseOutputs('cmd=a<<b\n')).toEqual({ ok: true, outputs: { cmd: 'a<<b' } });
  });

  it('keeps the last value of a key set twice', () => {
    expect(parseOutputs('a=1\na=2\n')).toEqual({ ok: true, outputs: { a: '2' } });
  });

  it('stores __proto__ as a plain key, never as a prototype', () => {
    const parsed = parseOutputs('__proto__=x\n');
    expect(parsed.ok).toBe(true);
    expect(Object.getPrototypeOf(parsed.outputs)).toBe(Object.prototype);
    expect(Object.keys(parsed.outputs)).toEqual(['__proto__']);
  });

  it('reports malformed lines with their line numbers and keeps the good ones', () => {
    const parsed = parseOutputs('good=1\njust text\n=nokey\n9bad=x\nlast=2\n');
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.outputs).toEqual({ good: '1', last: '2' });
    expect(parsed.problems.map((p) => p.line)).toEqual([2, 3, 4]);
    expect(parsed.problems[0]?.message).toMatch(/expected key=value or key<<DELIMITER, got "just text"/);
    expect(parsed.problems[1]?.message).toMatch(/missing output name/);
    expect(parsed.problems[2]?.message).toMatch(/invalid output name "9bad"/);
    expect(describeProblems(parsed.problems)).toMatch(/^CHATOPS_OUTPUT is malformed: line 2: /);
  });

  it('reports an unterminated heredoc and a missing delimiter', () => {
    const open = parseOutputs('a=1\nbody<<EOF\nnever closed\n');
    expect(open.ok).toBe(false);
    if (!open.ok) expect(open.problems).toEqual([{ line: 2, message: 'output "body": no line "EOF" closes the value started here' }]);
    const noDelim = parseOutputs('body<<\nx\n');
    expect(noDelim.ok).toBe(false);
    if (!noDelim.ok) expect(noDelim.problems[0]?.message).toMatch(/missing delimiter/);
  });
});

describe('createOutputsFile', () => {
  it('creates a private empty file, reads it and removes its directory', async () => {
    const file = await createOutputsFile();
    expect(statSync(file.path).mode & 0o777).toBe(0o600);
    expect(statSync(dirname(file.path)).mode & 0o777).toBe(0o700);
    expect(await file.read()).toEqual({ ok: true, outputs: {} });
    writeFileSync(file.path, 'x=1\n');
    expect(await file.read()).toEqual({ ok: true, outputs: { x: '1' } });
    await file.remove();
    expect(existsSync(dirname(file.path))).toBe(false);
  });

  it('refuses a file larger than the limit', async () => {
    const file = await createOutputsFile();
    try {
      writeFileSync(file.path, `big=${'x'.repeat(MAX_OUTPUTS_FILE_BYTES)}\n`);
      const parsed = await file.read();
      expect(parsed.ok).toBe(false);
      if (!parsed.ok) expect(parsed.problems[0]?.message).toMatch(/more than the \d+ allowed/);
    } finally {
      await file.remove();
    }
  });

  it('treats a deleted file as no outputs', async () => {
    const file = await createOutputsFile();
    await file.remove();
    expect(await file.read()).toEqual({ ok: true, outputs: {} });
  });
});
