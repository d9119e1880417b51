/**
 * V8 tuning for a command that reads its input once and exits (`chatops validate`). V8 hands a
 * function to its optimizing compiler after the function has executed a budget of bytecode; in a
 * run this short, compiling the YAML parser's and zod's hottest functions costs more CPU than the
 * rest of the run gains from them (31 functions optimized while validating the examples, about a
 * quarter of the process's CPU; `BENCH_ONLY=cli npm run bench`). Four times V8's default budget
 * (Node 20's) leaves a short run to the interpreter and baseline compiler, while a long one still
 * gets optimized code: two 1,000-step workflows took a fifth less CPU, twenty about the same.
 * Not for `serve` or `worker`, which should reach optimized code soon.
 */
import { setFlagsFromString } from 'node:v8';

export function tuneForOneShot(): void {
  setFlagsFromString('--interrupt-budget=270336');
}
