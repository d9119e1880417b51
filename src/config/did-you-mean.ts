/** "did you mean …" suggestions for mistyped names (keys, step ids, inputs, workflows). */
import { closest, distance } from 'fastest-levenshtein';

/** The closest known name when it is near enough to be a typo, else undefined. */
export function nearest(word: string, known: Iterable<string>): string | undefined {
  const list = [...known];
  if (list.length === 0 || word === '') return undefined;
  const best = closest(word, list);
  const d = distance(word.toLowerCase(), best.toLowerCase());
  // A short word is "close" to anything short; require the edit to be smaller than both words.
  return d <= Math.max(2, Math.floor(best.length / 3)) && d < Math.min(word.length, best.length) ? best : undefined;
}

/** `, did you mean \`x\`?` or '' — ready to append to a message. */
export function didYouMean(word: string, known: Iterable<string>): string {
  const best = nearest(word, known);
  return best === undefined ? '' : `, did you mean \`${best}\`?`;
}
