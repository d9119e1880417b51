/** Run ids short enough to type in chat: `r-` and six base-36 characters (about 2 billion). */
import { randomInt } from 'node:crypto';

const ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyz';

export function newRunId(): string {
  let id = 'r-';
  for (let i = 0; i < 6; i++) id += ALPHABET[randomInt(ALPHABET.length)];
  return id;
}

export const RUN_ID_PATTERN = /^r-[0-9a-z]{6}$/;
