/** A bench helper process over IPC (a platform's sender): waits for its typed messages, stops it. */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface IpcChild {
  /** The next message of `type` from the child (rejects if it exits first). */
  next(type: string): Promise<Record<string, unknown>>;
  send(message: Record<string, unknown>): void;
  stop(): void;
}

export function forkIpc(script: URL, name: string): IpcChild {
  const child = fork(fileURLToPath(script), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return {
    next: (type) =>
      new Promise<Record<string, unknown>>((resolve, reject) => {
        const onMessage = (m: unknown) => {
          const msg = m as Record<string, unknown>;
          if (msg.type !== type) return;
          child.off('message', onMessage);
          child.off('exit', onExit);
          resolve(msg);
        };
        const onExit = () => reject(new Error(`the bench ${name} exited`));
        child.on('message', onMessage);
        child.once('exit', onExit);
      }),
    send: (message) => child.send(message),
    stop() {
      if (child.exitCode === null) child.kill();
    },
  };
}
