import { describe, expect, test } from '@jest/globals';
import express from 'express';
import { pino } from 'pino';
import { ServiceRuntime } from '../src/index.js';
import type { AddressInfo } from 'node:net';

describe('ServiceRuntime', () => {
  test('when shutting down, then in-flight requests finish, new ones are refused, steps run in reverse', async () => {
    const runtime = new ServiceRuntime(pino({ level: 'silent' }));
    const order: string[] = [];
    runtime.onStop('database', async () => void order.push('database'));
    runtime.onStop('consumers', async () => void order.push('consumers'));
    const app = express();
    app.get('/slow', (_req, res) => {
      setTimeout(() => res.json({ done: true }), 400);
    });
    const server = await runtime.listen(app, 0, '127.0.0.1');
    runtime.onStop('after-http', async () => void order.push('after-http'));
    const { port } = server.address() as AddressInfo;

    const inFlight = fetch(`http://127.0.0.1:${port}/slow`);
    await new Promise((r) => setTimeout(r, 100));
    const stopping = runtime.shutdown();
    expect(runtime.isDraining).toBe(true);
    const response = await inFlight;
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ done: true });
    await stopping;
    await expect(fetch(`http://127.0.0.1:${port}/slow`)).rejects.toThrow();
    expect(order).toEqual(['after-http', 'consumers', 'database']);
  });

  test('a scheduled round is not joined by the next while it runs, and stopping waits for it before the steps registered earlier', async () => {
    const runtime = new ServiceRuntime(pino({ level: 'silent' }));
    const order: string[] = [];
    runtime.onStop('database', async () => void order.push('database'));
    let rounds = 0;
    let inRound = 0;
    let most = 0;
    runtime.every('sweep', 10, async () => {
      rounds++;
      most = Math.max(most, ++inRound);
      await new Promise((r) => setTimeout(r, 80));
      inRound--;
      order.push(`round ${rounds} ended`);
    });
    await new Promise((r) => setTimeout(r, 50));
    await runtime.shutdown();
    expect(most).toBe(1);
    expect(order).toEqual(['round 1 ended', 'database']);
  });
});
