/** A chat platform that keeps messages in memory and counts writes per message (a fake remote platform). */
import type { ChatContent, ChatPlatform, FileUpload, MessageRef, ReplyTarget, WriteBudget } from '../../src/chat/platform.ts';
import type { OutputLimits } from '../../src/chat/render-model.ts';

export interface StoredMessage {
  ref: MessageRef;
  content: ChatContent;
  writes: number;
  history: ChatContent[];
}

export class CountingPlatform implements ChatPlatform {
  readonly name = 'fake';
  readonly messages = new Map<string, StoredMessage>();
  readonly files: { root: MessageRef; file: FileUpload }[] = [];
  readonly replies: { to: ReplyTarget; content: ChatContent }[] = [];
  private seq = 0;
  /** Writes to fail before succeeding (to test retries), and the Retry-After they carry. */
  failNext = 0;
  retryAfterMs = 50;
  /** Every write attempt: when, and whether it was refused. */
  readonly attempts: { at: number; refused: boolean }[] = [];

  constructor(
    readonly budget: WriteBudget = { writes: 1, perMs: 1000 },
    readonly outputLimits: OutputLimits = { maxLines: 20, maxChars: 3000 },
  ) {}

  private maybeFail(): void {
    const refused = this.failNext > 0;
    this.attempts.push({ at: Date.now(), refused });
    if (refused) {
      this.failNext--;
      throw Object.assign(new Error('rate limited'), { retryAfterMs: this.retryAfterMs });
    }
  }

  async postRoot(channel: string, content: ChatContent): Promise<MessageRef> {
    this.maybeFail();
    const ref = { platform: this.name, channel, id: String(++this.seq) };
    this.messages.set(ref.id, { ref, content, writes: 1, history: [content] });
    return ref;
  }

  async postReply(root: MessageRef, content: ChatContent): Promise<MessageRef> {
    this.maybeFail();
    const ref = { platform: this.name, channel: root.channel, id: String(++this.seq), thread: root.id };
    this.messages.set(ref.id, { ref, content, writes: 1, history: [content] });
    return ref;
  }

  async update(ref: MessageRef, content: ChatContent): Promise<void> {
    this.maybeFail();
    const m = this.messages.get(ref.id);
    if (!m) throw new Error(`no message ${ref.id}`);
    m.content = content;
    m.writes++;
    m.history.push(content);
  }

  async uploadFile(root: MessageRef, file: FileUpload): Promise<void> {
    this.files.push({ root, file });
  }

  async reply(to: ReplyTarget, content: ChatContent): Promise<void> {
    this.replies.push({ to, content });
  }

  /** The message whose latest content is of `kind` (and matches `pick`). */
  find(kind: ChatContent['kind'], pick: (c: ChatContent) => boolean = () => true): StoredMessage | undefined {
    return [...this.messages.values()].find((m) => m.content.kind === kind && pick(m.content));
  }

  get totalWrites(): number {
    return [...this.messages.values()].reduce((n, m) => n + m.writes, 0) + this.files.length;
  }
}
