/** How a file is named in problems. */
import { isAbsolute, relative } from 'node:path';

/** How a file is named in problems: relative to the working directory when inside it. */
export function displayPath(file: string): string {
  const rel = relative(process.cwd(), file);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) ? rel : file;
}
