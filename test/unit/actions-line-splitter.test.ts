import { cleanLine, LineSplitter, TRUNCATED_MARKER } from '../../src/actions/line-splitter.js';

function split(chunks: (string | Buffer)[], max?: number): string[] {
  const lines: string[] = [];
  const s = new LineSplitter((l) => lines.push(l), max);
  for (const c of chunks) s.push(typeof c === 'string' ? Buffer.from(c) : c);
  s.end();
  return lines;
}

describe('LineSplitter', () => {
  it('joins partial lines across chunks and emits an unterminated last line', () => {
    expect(split(['he', 'llo\nwor', 'ld\n', '\nlast'])).toEqual(['hello', 'world', '', 'last']);
  });

  it('strips CRLF and keeps what a terminal shows after carriage returns', () => {
    expect(split(['a\r\nb\r', '\n10%\r50%\r100%\n'])).toEqual(['a', 'b', '100%']);
  });

  it('does not split a multi-byte character cut between chunks', () => {
    const bytes = Buffer.from('héllo ✓\n');
    expect(split([bytes.subarray(0, 2), bytes.subarray(2, 9), bytes.subarray(9)])).toEqual(['héllo ✓']);
  });

  it('caps a long line with a marker and drops the rest of it, in bounded memory', () => {
    const lines = split(['x'.repeat(10), 'y'.repeat(100), 'z'.repeat(100), '\nnext\n'], 16);
    expect(lines).toEqual([`xxxxxxxxxxyyyyyy${TRUNCATED_MARKER}`, 'next']);
  });

  it('caps a line exactly at the limit only when it is longer', () => {
    expect(split(['abcd\n'], 4)).toEqual(['abcd']);
    expect(split(['abcde\n'], 4)).toEqual([`abcd${TRUNCATED_MARKER}`]);
  });

  it('turns binary junk and ANSI sequences into printable text', () => {
    const junk = Buffer.from([0x00, 0x41, 0xff, 0xfe, 0x07, 0x42, 0x0a]);
    expect(split([junk])).toEqual(['\uFFFDA\uFFFD\uFFFD\uFFFDB']);
    expect(cleanLine('\x1b[31mred\x1b[0m and \x1b]0;title\x07tab\there')).toBe('red and tab\there');
  });

  it('counts lines', () => {
    const s = new LineSplitter(() => undefined);
    s.push(Buffer.from('a\nb\nc'));
    s.end();
    expect(s.lines).toBe(3);
  });

  it('past a full budget, counts lines and bytes without emitting them, ending the line in progress first', () => {
    const lines: string[] = [];
    let full = false;
    const counted = { lines: 0, bytes: 0 };
    const s = new LineSplitter((l) => lines.push(l), undefined, {
      full: () => full,
      skipped: (n, b) => {
        counted.lines += n;
        counted.bytes += b;
      },
    });
    s.push(Buffer.from('one\ntw'));
    full = true;
    // The line in progress ends as usual (the sink counts what it no longer keeps); the rest is counted here.
    s.push(Buffer.from('o\nthree\nfour\nfi'));
    s.push(Buffer.from('ve'));
    s.end();
    expect(lines).toEqual(['one', 'two']);
    expect(counted).toEqual({ lines: 3, bytes: 'three\nfour\nfive'.length });
  });
});
