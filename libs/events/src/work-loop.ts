// The background loop of a publisher (the outbox relay, the audit shipper): rounds one after the
// other while there is work, an idle wait that a wake-up cuts short, and a failed round retried
// with a growing back-off (what it was publishing stays stored, so waiting loses nothing).
import type { Logger } from 'pino';
import type { Counter } from 'prom-client';

export interface WorkLoopOptions {
  /** One round; answers whether more work is waiting (then the next round runs at once). */
  round: () => Promise<boolean>;
  /** How long to wait for a wake-up when a round found nothing more to do. */
  idleMs: number;
  logger: Logger;
  /** Logged with each failed round. */
  failureMessage: string;
  failures?: Counter;
}

const MAX_BACKOFF_MS = 10_000;

export class WorkLoop {
  private running = false;
  private done?: Promise<void>;
  private wakeUp?: () => void;

  constructor(private readonly options: WorkLoopOptions) {}

  get isRunning(): boolean {
    return this.running;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.done = this.loop();
  }

  /** Finishes the round in hand, then stops. */
  async stop(): Promise<void> {
    this.running = false;
    this.wake();
    await this.done;
  }

  /** Cuts the current wait short: there is work. */
  wake(): void {
    this.wakeUp?.();
  }

  private async loop(): Promise<void> {
    let failuresInRow = 0;
    while (this.running) {
      let more: boolean;
      try {
        more = await this.options.round();
        failuresInRow = 0;
      } catch (error) {
        failuresInRow++;
        this.options.failures?.inc();
        const backoff = Math.min(200 * 2 ** (failuresInRow - 1), MAX_BACKOFF_MS);
        this.options.logger.warn({ err: error, retryInMs: backoff }, this.options.failureMessage);
        await this.wait(backoff);
        continue;
      }
      if (!more) await this.wait(this.options.idleMs);
    }
  }

  private wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wakeUp = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wakeUp = done;
    });
  }
}
