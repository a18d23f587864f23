// Start-up and graceful shutdown. Resources register a stop step as they are started;
// on SIGTERM/SIGINT the steps run in reverse order (HTTP drains first, then consumers
// finish their batch and commit, then producers and the database disconnect).
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';
import type { Logger } from 'pino';
import { ConfigError } from '../config/config.js';

export interface StopStep {
  name: string;
  stop: () => Promise<void>;
}

export class ServiceRuntime {
  private readonly steps: StopStep[] = [];
  private draining = false;
  private shuttingDown?: Promise<void>;

  constructor(
    private readonly logger: Logger,
    private readonly shutdownTimeoutMs = 25_000,
  ) {}

  get isDraining(): boolean {
    return this.draining;
  }

  /** Registers a stop step; steps run last-registered first. */
  onStop(name: string, stop: () => Promise<void>): void {
    this.steps.push({ name, stop });
  }

  /**
   * Runs `work` every `intervalMs` until the service stops (sweeps for expiry, overdue dates,
   * due transitions, import jobs). A failed round is logged and the next one runs as planned; a
   * round still running when the next is due is not joined by a second; stopping waits for the
   * round in hand, so it does not run on into a closed database.
   */
  every(name: string, intervalMs: number, work: () => Promise<unknown>): void {
    let running: Promise<void> | undefined;
    const timer = setInterval(() => {
      if (running) return;
      running = work()
        .then(
          () => undefined,
          (error: unknown) => this.logger.error({ err: error, job: name }, 'a scheduled round failed; it runs again at the next interval'),
        )
        .finally(() => (running = undefined));
    }, intervalMs);
    this.onStop(name, async () => {
      clearInterval(timer);
      await running;
    });
  }

  async listen(app: Express, port: number, host = '0.0.0.0'): Promise<Server> {
    const server = await new Promise<Server>((resolve, reject) => {
      const s = app.listen(port, host, (error?: Error) => (error ? reject(error) : resolve(s)));
      s.once('error', reject);
    });
    // Keep-alive must outlive the load balancer's idle time-out, or it sends into closed sockets.
    server.keepAliveTimeout = 65_000;
    server.headersTimeout = 66_000;
    this.onStop('http', () => closeServer(server));
    const { port: bound } = server.address() as AddressInfo;
    this.logger.info({ port: bound }, 'listening');
    return server;
  }

  installSignalHandlers(exit: (code: number) => void = (code) => process.exit(code)): void {
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      process.once(signal, () => {
        this.logger.info({ signal }, 'shutting down');
        void this.shutdown().then(
          () => exit(0),
          () => exit(1),
        );
      });
    }
  }

  shutdown(): Promise<void> {
    this.shuttingDown ??= this.runStopSteps();
    return this.shuttingDown;
  }

  private async runStopSteps(): Promise<void> {
    this.draining = true;
    const deadline = setTimeout(() => {
      this.logger.error({ timeoutMs: this.shutdownTimeoutMs }, 'shutdown took too long, exiting');
      process.exit(1);
    }, this.shutdownTimeoutMs);
    deadline.unref();
    let failed = false;
    for (const step of [...this.steps].reverse()) {
      try {
        await step.stop();
        this.logger.info({ step: step.name }, 'stopped');
      } catch (error) {
        failed = true;
        this.logger.error({ err: error, step: step.name }, 'stop step failed');
      }
    }
    clearTimeout(deadline);
    if (failed) throw new Error('shutdown finished with errors');
  }
}

/** Stops accepting, lets in-flight requests finish, closes idle keep-alive sockets. */
export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    // A keep-alive socket turns idle once its in-flight response is sent; close such
    // sockets as they appear, or close() would wait for the client to hang up.
    const sweep = setInterval(() => server.closeIdleConnections(), 100);
    server.on('request', (_req, res) => res.setHeader('connection', 'close'));
    server.close((error) => {
      clearInterval(sweep);
      if (error) reject(error);
      else resolve();
    });
    server.closeIdleConnections();
  });
}

/**
 * Runs a service's main function. A configuration error prints every bad variable and
 * exits with 78 (EX_CONFIG); any other start-up failure exits with 1.
 */
export function runMain(service: string, main: () => Promise<void>): void {
  main().catch((error: unknown) => {
    if (error instanceof ConfigError) {
      console.error(`${service}: invalid configuration, not starting:`);
      for (const issue of error.issues) console.error(`  - ${issue.variable}: ${issue.message}`);
      process.exit(78);
    }
    console.error(`${service}: failed to start: ${(error as Error)?.stack ?? String(error)}`);
    process.exit(1);
  });
}
