import { ChannelBuckets, Pacer, type WriteOutcome } from '../../src/chat/pacer.ts';
import { ChannelUnavailableError, isPermanentWriteError } from '../../src/chat/platform.ts';
import { silentLogger } from '../../src/lib/logger.ts';

describe('permanent write errors (the bot may not post in a channel)', () => {
  it('are recognised without importing the class, and only when marked permanent', () => {
    expect(isPermanentWriteError(new ChannelUnavailableError('C1', 'SLACK_NOT_IN_CHANNEL', 'refused', 'invite the bot'))).toBe(true);
    expect(isPermanentWriteError({ permanent: true })).toBe(true);
    expect(isPermanentWriteError(Object.assign(new Error('429'), { retryAfterMs: 1000 }))).toBe(false);
    expect(isPermanentWriteError(undefined)).toBe(false);
  });

  it('the pacer tries such a write once, while it retries a transient failure', async () => {
    const pacer = new Pacer({ budget: { writes: 100, perMs: 1000 }, log: silentLogger, minIntervalMs: 0 });
    let refused = 0;
    let flaky = 0;
    pacer.submit('root', 'C1', () => {
      refused++;
      return Promise.reject(new ChannelUnavailableError('C1', 'SLACK_NOT_IN_CHANNEL', 'refused', 'invite the bot'));
    });
    pacer.submit('other', 'C2', () => {
      flaky++;
      return flaky < 2 ? Promise.reject(Object.assign(new Error('busy'), { retryAfterMs: 10 })) : Promise.resolve();
    });
    await pacer.idle();
    expect(refused).toBe(1);
    expect(flaky).toBe(2);
    pacer.close();
  });

  it('the write metrics hear a refusal as refused, also when the write handled it itself (the run went private)', async () => {
    const outcomes: WriteOutcome[] = [];
    const budget = { writes: 100, perMs: 1000 };
    const pacer = new Pacer({ budget, buckets: new ChannelBuckets(budget, (o) => outcomes.push(o)), log: silentLogger, minIntervalMs: 0 });
    pacer.submit('a', 'C1', () => Promise.reject(new ChannelUnavailableError('C1', 'SLACK_NOT_IN_CHANNEL', 'refused', 'invite the bot')));
    pacer.submit('b', 'C1', () => Promise.resolve('refused'));
    pacer.submit('c', 'C1', () => Promise.resolve());
    await pacer.idle();
    expect(outcomes).toEqual(['refused', 'refused', 'ok']);
    pacer.close();
  });
});
