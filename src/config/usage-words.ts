/**
 * The word splitting of the usage grammar (FORMATS.md, commands/NAME.yaml): how a chat line, a
 * shell line and a command file's `examples:` are cut into words before usage.ts matches them.
 * Whitespace separates words, "double" or 'single' quotes keep spaces inside one word (also
 * mid-word: `msg="two words"`), and a backslash escapes the next character. Chat clients turn
 * quotes into “curly” ones, which count as quotes too.
 */

export interface Token {
  /** The word with quotes removed. */
  text: string;
  /** True when any part of the word was quoted (a quoted word is never a key=value extra by accident). */
  quoted: boolean;
  /** When the word is `key=value` with the `=` outside quotes: the key and the value. */
  assignment?: { key: string; value: string };
}

export class TokenizeError extends Error {
  readonly code = 'E_UNTERMINATED_QUOTE';
}

const OPEN_TO_CLOSE: Record<string, string> = { '"': '"', "'": "'", '“': '”', '‘': '’', '”': '”' };
const ASSIGNMENT = /^([A-Za-z_][A-Za-z0-9_]*)=/;

export function tokenize(line: string): Token[] {
  const tokens: Token[] = [];
  let text = '';
  let inWord = false;
  let quoted = false;
  // Position in `text` where the first quote started; an `=` before it makes an assignment.
  let firstQuoteAt = -1;
  const push = () => {
    if (!inWord) return;
    const m = ASSIGNMENT.exec(text);
    const key = m?.[1];
    const assignment = key !== undefined && (firstQuoteAt === -1 || firstQuoteAt >= key.length + 1) ? { key, value: text.slice(key.length + 1) } : undefined;
    tokens.push({ text, quoted, ...(assignment ? { assignment } : {}) });
    text = '';
    inWord = false;
    quoted = false;
    firstQuoteAt = -1;
  };
  for (let i = 0; i < line.length; i++) {
    const ch = line[i] ?? '';
    if (/\s/.test(ch)) {
      push();
      continue;
    }
    inWord = true;
    if (ch === '\\' && i + 1 < line.length) {
      text += line[++i] ?? '';
      continue;
    }
    const close = OPEN_TO_CLOSE[ch];
    if (close !== undefined) {
      const end = line.indexOf(close, i + 1);
      if (end === -1) throw new TokenizeError(`unterminated quote: ${ch} at column ${i + 1} has no closing ${close}`);
      if (firstQuoteAt === -1) firstQuoteAt = text.length;
      text += line.slice(i + 1, end);
      quoted = true;
      i = end;
      continue;
    }
    text += ch;
  }
  push();
  return tokens;
}
