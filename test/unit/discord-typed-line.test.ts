import { describe, expect, it } from '@jest/globals';
import { word } from '../../src/adapters/discord/commands/typed-commands.js';
import { tokenize } from '../../src/config/usage-words.js';

const VALUES = ['api', 'two words', 'say "hi"', `it's`, 'a=b', 'back\\slash', '“smart” ‘quotes’', '"', '', ' lead', 'x"y\'z w=v', 'all " \' ” ’ quotes'];

describe('word: an option value as one word of the chat grammar', () => {
  it.each(VALUES)('%j reads back as itself, positional and as key=value', (value) => {
    const positional = tokenize(`cmd ${word(value)}`);
    expect(positional).toHaveLength(2);
    expect(positional[1]?.text).toBe(value);
    expect(positional[1]?.assignment).toBeUndefined();
    const extra = tokenize(`cmd key=${word(value)}`)[1];
    expect(extra?.assignment).toEqual({ key: 'key', value });
  });

  it('keeps a value one run of text unless it holds every closing quote', () => {
    for (const value of VALUES.slice(0, -1)) expect(word(value)).toContain(value);
    expect(word(VALUES.at(-1) ?? '')).not.toContain(VALUES.at(-1));
  });
});
