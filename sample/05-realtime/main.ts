/**
 * A chat over WebSockets, shut down by the module alone: `say` broadcasts a line, `history`
 * answers after a slow read. SIGTERM or Ctrl+C: clients keep chatting through the drain, then
 * each is sent its close frame (1001 "server shutting down") in its turn, once its replies in
 * flight have left; socket.io clients reconnect by themselves. Try it with any WebSocket client:
 * `{"event":"say","data":"hello"}`.
 *
 * Environment: TRANSPORT=ws | socket.io (default ws), ADAPTER=express | fastify (default
 * express), PORT (default 3000; 0 picks a free port), LIFECYCLE_OPTIONS (JSON merged into the
 * module options), PRINT_REPORT=1 | pretty (print the JSON report at exit), DEMO_SIGTERM_AFTER_MS
 * (send ourselves SIGTERM).
 */
import 'reflect-metadata';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { WsAdapter } from '@nestjs/platform-ws';
import { LifecycleCoordinator, enableLifecycleShutdown } from 'nestjs-async-lifecycle';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AppModule } from './app.module.js';

/** The value of the environment variable `name`, one of `allowed` (the first by default). */
function choice<const T extends string>(name: string, allowed: readonly T[]): T {
  const value = process.env[name] ?? allowed[0];
  if (!(allowed as readonly string[]).includes(value)) {
    throw new Error(`${name}=${value}: expected one of ${allowed.join(', ')}`);
  }
  return value as T;
}

async function main(): Promise<void> {
  const transport = choice('TRANSPORT', ['ws', 'socket.io']);
  const adapter = choice('ADAPTER', ['express', 'fastify']);
  const app: INestApplication =
    adapter === 'fastify'
      ? await NestFactory.create(AppModule, new FastifyAdapter())
      : await NestFactory.create(AppModule);
  // socket.io is Nest's default; @nestjs/platform-ws is chosen explicitly.
  if (transport === 'ws') app.useWebSocketAdapter(new WsAdapter(app));
  enableLifecycleShutdown(app);
  await app.listen(Number(process.env.PORT ?? 3000), '127.0.0.1');
  const { port } = (app.getHttpServer() as Server).address() as AddressInfo;
  const scheme = transport === 'ws' ? 'ws' : 'http';
  console.log(`READY ${scheme}://127.0.0.1:${port} (${transport}, ${adapter}, pid ${process.pid})`);

  const print = process.env.PRINT_REPORT;
  if (print === '1' || print === 'pretty') {
    const coordinator = app.get(LifecycleCoordinator);
    process.once('exit', (code) => {
      const report = coordinator.getReport();
      console.log(
        `REPORT ${print === 'pretty' ? JSON.stringify(report, null, 2) : JSON.stringify(report)}`,
      );
      console.log(`EXIT ${code}`);
    });
  }
  const after = Number(process.env.DEMO_SIGTERM_AFTER_MS);
  if (after > 0) setTimeout(() => process.kill(process.pid, 'SIGTERM'), after);
}

void main();
