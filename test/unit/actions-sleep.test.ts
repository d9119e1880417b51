import { runSleep } from '../../src/actions/sleep.js';
import { testContext } from '../integration/actions-context.js';

describe('runSleep', () => {
  it('sleeps and succeeds', async () => {
    const before = Date.now();
    expect(await runSleep(50, testContext())).toEqual({ ok: true, outputs: {} });
    expect(Date.now() - before).toBeGreaterThanOrEqual(45);
  });

  it('stops when cancelled, reporting cancelled', async () => {
    const ctx = testContext();
    const pending = runSleep(60_000, ctx);
    ctx.controller.abort();
    expect(await pending).toMatchObject({ ok: false, cancelled: true });
  });

  it('reports a timeout abort as timedOut', async () => {
    const ctx = testContext();
    const pending = runSleep(60_000, ctx);
    ctx.controller.abort(new DOMException('t', 'TimeoutError'));
    expect(await pending).toMatchObject({ ok: false, timedOut: true });
  });

  it('can be longer than a 32-bit timer and still be cancelled', async () => {
    const ctx = testContext();
    const pending = runSleep(40 * 24 * 3600 * 1000, ctx);
    const early = await Promise.race([pending.then(() => 'ended'), new Promise((r) => setTimeout(() => r('waiting'), 50))]);
    expect(early).toBe('waiting');
    ctx.controller.abort();
    expect((await pending).cancelled).toBe(true);
  });
});
