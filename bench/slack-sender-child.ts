/**
 * Plays Slack for the Slack bench in its own process, so the front's process holds the front only
 * (as in production) and the measured ack time is what a client sees. On `{ cmd: 'burst' }` it
 * sends `count` signed slash commands, one every `intervalMs`, and answers with each ack's latency
 * and body.
 */
import { SlackSender } from '../test/fakes/slack-requests.js';

interface BurstCommand {
  cmd: 'burst';
  eventsUrl: string;
  responseUrlBase: string;
  count: number;
  intervalMs: number;
  text: string;
  channelPrefix: string;
}

process.on('message', (raw) => {
  const msg = raw as BurstCommand;
  if (msg.cmd !== 'burst') return;
  void burst(msg).then((results) => process.send?.({ type: 'burst', results }));
});
process.on('disconnect', () => process.exit(0));
process.send?.({ type: 'ready' });

async function burst(msg: BurstCommand): Promise<{ channel: string; ackMs: number; status: number; body: string }[]> {
  const sender = new SlackSender(msg.eventsUrl);
  const t0 = performance.now();
  const sends: Promise<{ channel: string; ackMs: number; status: number; body: string }>[] = [];
  for (let i = 0; i < msg.count; i++) {
    const wait = t0 + i * msg.intervalMs - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const channel = `${msg.channelPrefix}${i}`;
    sends.push(
      sender.slash({ text: msg.text, channel, responseUrl: `${msg.responseUrlBase}${i}` }).then(
        (r) => ({ channel, ackMs: r.ackMs, status: r.status, body: r.text }),
        (err: unknown) => ({ channel, ackMs: Number.NaN, status: 0, body: String(err) }),
      ),
    );
  }
  return Promise.all(sends);
}
