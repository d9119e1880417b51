/**
 * Slack sends message and command text with its own markup: `&amp;`/`&lt;`/`&gt;` escapes and
 * `<url|label>` links (Slack auto-links host names like web-1.example.com). The router wants the
 * words the user typed, so links become their label (or URL) and the escapes are undone. User and
 * group mentions (`<@U1>`, `<!subteam^S1>`) are kept: the router strips a leading mention.
 */
export function plainText(text: string): string {
  const unlinked = text.replace(/<([^<>]+)>/g, (whole, inner: string) => {
    if (inner.startsWith('@') || inner.startsWith('!') || inner.startsWith('#')) {
      // <#C1|general> -> #general; mentions stay as they are.
      if (inner.startsWith('#')) return `#${inner.split('|')[1] ?? inner.slice(1)}`;
      return whole;
    }
    const [url, label] = inner.split('|', 2);
    return label ?? (url ?? '').replace(/^mailto:/, '');
  });
  return unlinked.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}
