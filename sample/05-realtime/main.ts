/**
 * Real-time HTTP that stops well: server-sent events, a long-poll and a slow request, on Express
 * or Fastify, over HTTP/1.1 or (Fastify) HTTP/2. SIGTERM ends the SSE stream with a `retry:` hint,
 * answers the long-poll early, sends HTTP/2 sessions GOAWAY, lets the slow request finish, and
 * exits within the budgets.
 *
 * Environment: ADAPTER=express | fastify (default express), HTTP2=1 (Fastify only: HTTPS with
 * HTTP/2 and HTTP/1.1, key and certificate from TLS_KEY and TLS_CERT), PORT (default 3000; 0
 * picks a free port), LIFECYCLE_OPTIONS (JSON merged into the module options), PRINT_REPORT=1
 * (print the JSON report at exit), REPORT_MS (how long `GET /report` takes). Prints `READY <url>`
 * once listening.
 */
import 'reflect-metadata';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { LifecycleCoordinator, enableLifecycleShutdown } from 'nestjs-async-lifecycle';
import { readFileSync } from 'node:fs';
import type { AddressInfo, Server } from 'node:net';
import { AppModule } from './app.module.js';

async function create(adapter: string, http2: boolean): Promise<INestApplication> {
  if (adapter === 'express') {
    // Nest's Express adapter builds an http or https server only; Express cannot serve HTTP/2.
    if (http2) throw new Error('HTTP2=1 needs ADAPTER=fastify');
    return NestFactory.create(AppModule);
  }
  if (adapter !== 'fastify') throw new Error(`ADAPTER=${adapter}: expected express or fastify`);
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
  const adapter = process.env.ADAPTER ?? 'express';
  const http2 = process.env.HTTP2 === '1';
  const app = await create(adapter, http2);
  enableLifecycleShutdown(app);
  await app.listen(Number(process.env.PORT ?? 3000), '127.0.0.1');
  const { port } = (app.getHttpServer() as Server).address() as AddressInfo;
  const scheme = http2 ? 'https' : 'http';
  console.log(`READY ${scheme}://127.0.0.1:${port} (${adapter}${http2 ? ', http2' : ''})`);

  if (process.env.PRINT_REPORT === '1') {
    const coordinator = app.get(LifecycleCoordinator);
    process.once('exit', (code) => {
      console.log(`REPORT ${JSON.stringify(coordinator.getReport())}`);
      console.log(`EXIT ${code}`);
    });
  }
}

void main();
