/**
 * Plays Discord for the Discord bench in its own process, so the front's process holds the front
 * only and the measured ack time is what Discord sees. It holds the application's key pair (the
 * public half goes to the parent on `ready`); on `{ cmd: 'burst' }` it sends the given interaction
 * payloads signed, one every `intervalMs`, and answers with each one's ack latency and body.
 */
import { DiscordSender } from '../test/fakes/discord-requests.js';

interface BurstCommand {
  cmd: 'burst';
  url: string;
  payloads: string[];
  intervalMs: number;
}

export interface DiscordAck {
  ackMs: number;
  status: number;
  body: unknown;
}

const sender = new DiscordSender('');

process.on('message', (raw) => {
  const msg = raw as BurstCommand;
  if (msg.cmd !== 'burst') return;
  void burst(msg).then((results) => process.send?.({ type: 'burst', results }));
});
process.on('disconnect', () => process.exit(0));
process.send?.({ type: 'ready', publicKey: sender.publicKeyHex });

async function burst(msg: BurstCommand): Promise<DiscordAck[]> {
  sender.url = msg.url;
  const t0 = performance.now();
  const sends: Promise<DiscordAck>[] = [];
  for (const [i, payload] of msg.payloads.entries()) {
    const wait = t0 + i * msg.intervalMs - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const start = performance.now();
    sends.push(
      sender.send(payload).then(
        (r) => ({ ackMs: performance.now() - start, status: r.status, body: r.body }),
        (err: unknown) => ({ ackMs: Number.NaN, status: 0, body: String(err) }),
      ),
    );
  }
  return Promise.all(sends);
}
