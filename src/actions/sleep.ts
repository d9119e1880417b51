/** The `sleep:` action: waits, and stops at once when the step is cancelled or times out. */
import { abortedResult, type ActionContext, type ActionResult } from './types.js';

/** setTimeout fires at once for delays above this (a signed 32-bit int), so longer sleeps re-arm. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export async function runSleep(ms: number, ctx: ActionContext): Promise<ActionResult> {
  if (ctx.signal.aborted) return abortedResult(ctx.signal);
  const deadline = Date.now() + Math.max(0, ms);
  const finished = await new Promise<boolean>((resolve) => {
    let timer: NodeJS.Timeout | undefined;
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    const arm = () => {
      const left = deadline - Date.now();
      if (left <= 0) {
        ctx.signal.removeEventListener('abort', onAbort);
        resolve(true);
        return;
      }
      timer = setTimeout(arm, Math.min(left, MAX_TIMER_MS));
    };
    ctx.signal.addEventListener('abort', onAbort, { once: true });
    arm();
  });
  return finished ? { ok: true, outputs: {} } : abortedResult(ctx.signal);
}
