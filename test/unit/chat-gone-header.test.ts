/** A run that vanished from Redis: its header on every platform says so instead of its last state. */
import { describe, expect, it } from '@jest/globals';
import { formatRun as discordRun } from '../../src/adapters/discord/format/format-run.js';
import { formatRun as shellRun } from '../../src/adapters/shell/ansi-format.js';
import { formatRun as slackRun } from '../../src/adapters/slack/block-kit/format-run.js';
import { buildRunView } from '../../src/chat/render-model.js';
import { runRecord, step } from '../helpers/run-records.js';

describe('the header of a run gone from Redis', () => {
  it('reads "gone" with the last known state on Slack, Discord and the terminal', () => {
    const view = buildRunView(runRecord({ state: 'running', steps: [step('a', { state: 'running', startedAt: Date.now() })] }), Date.now());
    for (const text of [JSON.stringify(slackRun(view)), JSON.stringify(discordRun(view)), shellRun(view, { color: false }).join('\n')]) expect(text).not.toContain('Gone from Redis');
    view.gone = true;
    for (const text of [JSON.stringify(slackRun(view)), JSON.stringify(discordRun(view)), shellRun(view, { color: false }).join('\n')]) {
      expect(text).toContain('Gone from Redis (expired, or Redis lost its data): last known state running');
    }
  });
});
