import { Pacer } from '../../src/chat/pacer.ts';
import { ChannelUnavailableError, type ChatContent, type MessageRef } from '../../src/chat/platform.ts';
import { RunPresenter, type PresenterState } from '../../src/chat/presenter.ts';
import type { RunEvent, RunRecord } from '../../src/engine/types.ts';
import { silentLogger } from '../../src/lib/logger.ts';
import { CountingPlatform } from '../helpers/counting-platform.ts';
import { runRecord, step } from '../helpers/run-records.ts';

/** Refuses every channel write (the bot is not a member) until invite(). */
class ClosedChannelPlatform extends CountingPlatform {
  refused = 0;
  private member = false;

  invite(): void {
    this.member = true;
  }

  private check(channel: string): void {
    if (this.member) return;
    this.refused++;
    throw new ChannelUnavailableError(channel, 'SLACK_NOT_IN_CHANNEL', 'I am not in this channel.', 'type `/invite @bot` there');
  }

  override postRoot(channel: string, content: ChatContent): Promise<MessageRef> {
    this.check(channel);
    return super.postRoot(channel, content);
  }

  override postReply(root: MessageRef, content: ChatContent): Promise<MessageRef> {
    this.check(root.channel);
    return super.postReply(root, content);
  }

  override update(ref: MessageRef, content: ChatContent): Promise<void> {
    this.check(ref.channel);
    return super.update(ref, content);
  }
}

const RETRY_MS = 60_000;
const running = (): RunRecord => runRecord({ steps: [step('build', { state: 'running', startedAt: 1_000_000 }), step('ship')] });
const succeeded = (): RunRecord =>
  runRecord({
    state: 'succeeded',
    endedAt: 1_005_000,
    steps: [step('build', { state: 'succeeded', startedAt: 1_000_000, endedAt: 1_002_000, exitCode: 0 }), step('ship', { state: 'succeeded', startedAt: 1_002_000, endedAt: 1_005_000, exitCode: 0 })],
  });

function setup(state: PresenterState = { replies: {}, uploaded: [] }) {
  const platform = new ClosedChannelPlatform({ writes: 1000, perMs: 1000 });
  const pacer = new Pacer({ budget: platform.budget, log: silentLogger, minIntervalMs: 0 });
  const clock = { now: 2_000_000 };
  const saved: PresenterState[] = [];
  const presenter = new RunPresenter({
    platform,
    pacer,
    channel: 'C1',
    state,
    log: silentLogger,
    now: () => clock.now,
    channelRetryMs: RETRY_MS,
    requester: { platform: 'fake', channel: 'C1', user: 'alice' },
    onState: (s) => {
      saved.push(JSON.parse(JSON.stringify(s)) as PresenterState);
    },
  });
  return { platform, pacer, clock, saved, presenter, state };
}

describe('a run reported privately tries its channel again', () => {
  it('not before the interval; refused again: stays private, nobody told twice; accepted: back in the channel with the current state', async () => {
    const { platform, pacer, clock, saved, presenter, state } = setup();
    presenter.render(running());
    await pacer.idle();
    expect(presenter.unavailable).toBe(true);
    expect(platform.refused).toBe(1);
    expect(platform.replies).toHaveLength(1);

    // Renders within the interval do not touch the channel.
    clock.now += RETRY_MS - 1;
    presenter.render(running());
    await pacer.idle();
    expect(platform.refused).toBe(1);

    // Due: one try, refused; still private, the requester not told again, no second try at once.
    clock.now += 1;
    presenter.render(running());
    await pacer.idle();
    presenter.render(running());
    await pacer.idle();
    expect(platform.refused).toBe(2);
    expect(presenter.unavailable).toBe(true);
    expect(platform.replies).toHaveLength(1);
    expect(presenter.behind).toBe(false);

    // Invited; output arrives meanwhile. The next try posts the header, then everything else.
    platform.invite();
    const out: RunEvent = { type: 'step.output', ts: 0, runId: 'r-test01', step: 'build', lines: ['compiling'], stream: 'stdout' };
    presenter.ingest([out]);
    presenter.render(running());
    await pacer.idle();
    expect(platform.messages.size).toBe(0);
    clock.now += RETRY_MS;
    presenter.render(running());
    await pacer.idle();
    expect(presenter.unavailable).toBe(false);
    expect(state.unavailable).toBeUndefined();
    expect(state.root).toBeDefined();
    expect(saved.at(-1)?.unavailable).toBeUndefined();
    expect(saved.at(-1)?.root).toEqual(state.root);
    const root = platform.find('run');
    expect(root?.content.kind === 'run' && root.content.view.state).toBe('running');
    // The requester, promised the final status privately, is told where it will be instead.
    expect(platform.replies).toHaveLength(2);
    expect(JSON.stringify(platform.replies.at(-1))).toContain('r-test01 is now reported in the channel');
    expect(platform.find('step-output')?.ref.thread).toBe(state.root?.id);

    // It ends in the channel; the requester gets nothing more privately.
    presenter.render(succeeded());
    await pacer.idle();
    expect(platform.find('run')?.content).toMatchObject({ kind: 'run', view: { state: 'succeeded' } });
    expect(platform.replies).toHaveLength(2);
    expect(platform.messages.size).toBe(2);
    pacer.close();
  });

  it('a final run does not try the channel again: its final status goes privately, once', async () => {
    const { platform, pacer, clock, presenter } = setup();
    presenter.render(running());
    await pacer.idle();
    platform.invite();
    clock.now += 10 * RETRY_MS;
    presenter.render(succeeded());
    await pacer.idle();
    presenter.render(succeeded());
    await pacer.idle();
    expect(presenter.unavailable).toBe(true);
    expect(platform.messages.size).toBe(0);
    expect(platform.replies.map((r) => r.content.kind)).toEqual(['reply', 'run']);
    pacer.close();
  });

  it('a taken-over private run waits one interval, then updates the header it already has', async () => {
    const { platform, pacer, clock, presenter, state } = setup({
      root: { platform: 'fake', channel: 'C1', id: 'old' },
      replies: {},
      uploaded: [],
      unavailable: { platformCode: 'SLACK_NOT_IN_CHANNEL', message: 'no', fix: 'invite' },
      delivered: ['private:notice'],
    });
    platform.messages.set('old', { ref: { platform: 'fake', channel: 'C1', id: 'old' }, content: { kind: 'notice', view: { runId: 'r-test01', stepId: 'x', text: 'old' } }, writes: 1, history: [] });
    platform.invite();
    presenter.render(running(), true);
    await pacer.idle();
    expect(presenter.unavailable).toBe(true);
    expect(platform.messages.get('old')?.writes).toBe(1);
    clock.now += RETRY_MS;
    presenter.render(running());
    await pacer.idle();
    expect(presenter.unavailable).toBe(false);
    expect(state.root?.id).toBe('old');
    expect(platform.messages.get('old')?.content.kind).toBe('run');
    // The notice was sent before the takeover: no second notice, only where the run went.
    expect(platform.replies.map((r) => r.content.kind === 'reply' && r.content.view.title)).toEqual(['r-test01 is now reported in the channel']);
    pacer.close();
  });
});
