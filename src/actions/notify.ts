/**
 * `notify:` steps: one message into the run's thread. The text is already interpolated; the engine
 * writes it as a `notify` event (masked), which the chat reporter posts.
 */
import type { ActionContext, ActionResult } from './types.js';

export async function runNotify(text: string, ctx: ActionContext, emit: (text: string) => Promise<void>): Promise<ActionResult> {
  if (ctx.signal.aborted) return { ok: false, outputs: {}, cancelled: true, error: 'step cancelled' };
  await emit(text);
  ctx.output(text, 'stdout');
  return { ok: true, outputs: {} };
}
