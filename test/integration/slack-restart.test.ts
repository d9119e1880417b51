import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { loadProject } from '../../src/config/load-project.js';
import { silentLogger } from '../../src/lib/logger.js';
import { startFront } from '../../src/server/front.js';
import { SECRET_KEY, slackFrontHarness, type SlackFrontHarness } from '../fakes/slack-front.js';
import { fakeSlackConfig, SlackSender } from '../fakes/slack-requests.js';
import { testRedisUrl } from '../helpers/redis.js';
import { SLACK_PROJECT } from './slack-project.js';

describe('Slack adapter across a restart of the front', () => {
  let h: SlackFrontHarness;

  beforeAll(async () => {
    h = await slackFrontHarness(SLACK_PROJECT);
  });
  afterAll(async () => {
    await h.close();
  });

  it('a new front finishes the run in the same messages after the first one stops mid-run', async () => {
    const res = await h.sender.slash({ text: 'drip', channel: 'C0RESTART', responseUrl: h.fake.responseUrl() });
    const runId = /r-[0-9a-z]{6}/.exec(JSON.stringify(res.body))?.[0] ?? '';
    const root = await h.fake.waitFor(() => h.fake.roots('C0RESTART')[0], 10_000, 'run header');
    await h.fake.waitFor(() => h.fake.thread('C0RESTART', root.ts).length > 0, 10_000, 'first output reply');
    // Stop the first front while the run is still going: the second must take over.
    expect((await h.front.engine.getRun(runId))?.state).toBe('running');
    await h.front.close();

    // Same Redis prefix and Slack workspace: another replica comes up.
    const project = await loadProject(h.dir);
    const second = await startFront({
      redisUrl: testRedisUrl(),
      prefix: h.prefix,
      project,
      log: silentLogger,
      port: 0,
      host: '127.0.0.1',
      slack: fakeSlackConfig(h.fake),
      engine: { secretKey: SECRET_KEY },
      reporter: { pollMs: 100, blockMs: 100 },
    });
    try {
      const final = await h.fake.waitFor(() => h.fake.roots('C0RESTART').find((m) => m.text === `drip ${runId}: succeeded`), 30_000, 'final header from the second front');
      expect(final.ts).toBe(root.ts);
      expect(h.fake.roots('C0RESTART')).toHaveLength(1);
      const outputs = h.fake.thread('C0RESTART', root.ts).filter((m) => m.text.startsWith('drip:'));
      expect(outputs).toHaveLength(1);
      await h.fake.waitFor(() => JSON.stringify(outputs[0]?.blocks).includes('tick 29'), 10_000, 'last lines in the output reply');
      // The second front also answers commands.
      const again = await new SlackSender(`http://127.0.0.1:${second.port}/slack/events`).slash({ text: 'help', channel: 'C0RESTART', responseUrl: h.fake.responseUrl() });
      expect(again.status).toBe(200);
    } finally {
      await second.close();
    }
  }, 60_000);
});
