/**
 * Real-time features that stop well, shut down by the module alone:
 * - a chat over WebSockets (`say` broadcasts a line, `history` answers after a slow read):
 *   clients keep chatting through the drain, then each is sent its close frame (1001 "server
 *   shutting down") in its turn, once its replies in flight have left; socket.io clients
 *   reconnect by themselves. Try it with any WebSocket client: `{"event":"say","data":"hello"}`;
 * - server-sent events, a long-poll and a slow request (see `sse.controller.ts`): at intake close
 *   the SSE stream ends with a `retry:` hint, the long-poll answers early, HTTP/2 sessions get
 *   GOAWAY, the slow request finishes.
 *
 * Environment: TRANSPORT=ws | socket.io (default ws), ADAPTER=express | fastify (default
 * express), HTTP2=1 (Fastify only: HTTPS with HTTP/2 and HTTP/1.1, key and certificate from
 * TLS_KEY and TLS_CERT; no gateway then), PORT (default 3000; 0 picks a free port),
 * LIFECYCLE_OPTIONS (JSON merged into the module options), PRINT_REPORT=1 | pretty (print the
 * JSON report at exit), REPORT_MS (how long `GET /report` takes), DEMO_SIGTERM_AFTER_MS (send
 * ourselves SIGTERM). Prints `READY <url> (…)` once listening.
 */
import 'reflect-metadata';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { WsAdapter } from '@nestjs/platform-ws';
import { LifecycleCoordinator, enableLifecycleShutdown } from 'nestjs-async-lifecycle';
import { readFileSync } from 'node:fs';
import type { AddressInfo, Server } from 'node:net';
import { AppModule } from './app.module.js';

/** The value of the environment variable `name`, one of `allowed` (the first by default). */
function choice<const T extends string>(name: string, allowed: readonly T[]): T {
  const value = process.env[name] ?? allowed[0];
  if (!(allowed as readonly string[]).includes(value)) {
    throw new Error(`${name}=${value}: expected one of ${allowed.join(', ')}`);
  }
  return value as T;
}

async function create(adapter: 'express' | 'fastify', http2: boolean): Promise<INestApplication> {
  if (adapter === 'express') {
    // Nest's Express adapter builds an http or https server only; Express cannot serve HTTP/2.
    if (http2) throw new Error('HTTP2=1 needs ADAPTER=fastify');
    return NestFactory.create(AppModule);
  }
  if (!http2) return NestFactory.create(AppModule, new FastifyAdapter());
  const https = {
    key: readFileSync(process.env.TLS_KEY ?? 'key.pem'),
    cert: readFileSync(process.env.TLS_CERT ?? 'cert.pem'),
    // Health probes and HTTP/1.1 clients on the same port.
    allowHTTP1: true,
  };
  return NestFactory.create(AppModule, new FastifyAdapter({ http2: true, https }));
}

async function main(): Promise<void> {
  const transport = choice('TRANSPORT', ['ws', 'socket.io']);
  const adapter = choice('ADAPTER', ['express', 'fastify']);
  const http2 = process.env.HTTP2 === '1';
  const app = await create(adapter, http2);
  // socket.io is Nest's default; @nestjs/platform-ws is chosen explicitly.
  if (transport === 'ws' && !http2) app.useWebSocketAdapter(new WsAdapter(app));
  enableLifecycleShutdown(app);
  await app.listen(Number(process.env.PORT ?? 3000), '127.0.0.1');
  const { port } = (app.getHttpServer() as Server).address() as AddressInfo;
  const scheme = http2 ? 'https' : transport === 'ws' ? 'ws' : 'http';
  const what = [transport, adapter, ...(http2 ? ['http2'] : []), `pid ${process.pid}`];
  console.log(`READY ${scheme}://127.0.0.1:${port} (${what.join(', ')})`);

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
