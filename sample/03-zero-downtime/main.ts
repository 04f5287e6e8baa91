/**
 * A rolling update, made small: `GET /fast` answers at once, `GET /slow` after 300 ms, and
 * SIGTERM arrives while clients keep their connections alive. With MODE=lifecycle the library
 * drains the server (readiness down, a drain delay, intake closed, the requests in flight
 * finished, keep-alive connections closed); with MODE=plain the app has only Nest's
 * `enableShutdownHooks()`. `npm run rollout` runs both under load and counts what each loses.
 *
 * Environment: ADAPTER=express | fastify (default express), MODE=lifecycle | plain (default
 * lifecycle), PORT (default 3000; 0 picks a free port), LIFECYCLE_OPTIONS (JSON merged into the
 * module options). Prints `READY <url>` once listening and `LEDGER {accepted, finished, aborted}`
 * at the end: every request the server accepted, and how its response ended.
 */
import 'reflect-metadata';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { enableLifecycleShutdown } from 'nestjs-async-lifecycle';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AppModule, type ShutdownMode } from './app.module.js';
import { installRequestLedger } from './request-ledger.js';

/** The value of the environment variable `name`, one of `allowed` (the first by default). */
function choice<const T extends string>(name: string, allowed: readonly T[]): T {
  const value = process.env[name] ?? allowed[0];
  if (!(allowed as readonly string[]).includes(value)) {
    throw new Error(`${name}=${value}: expected one of ${allowed.join(', ')}`);
  }
  return value as T;
}

async function main(): Promise<void> {
  const adapter = choice('ADAPTER', ['express', 'fastify']);
  const mode: ShutdownMode = choice('MODE', ['lifecycle', 'plain']);
  const module = AppModule.forMode(mode);
  const app: INestApplication =
    adapter === 'fastify'
      ? await NestFactory.create(module, new FastifyAdapter())
      : await NestFactory.create(module);

  if (mode === 'lifecycle') enableLifecycleShutdown(app);
  else app.enableShutdownHooks();

  const server = app.getHttpServer() as Server;
  installRequestLedger(server);
  await app.listen(Number(process.env.PORT ?? 3000), '127.0.0.1');
  const { port } = server.address() as AddressInfo;
  console.log(`READY http://127.0.0.1:${port} (${adapter}, ${mode}, pid ${process.pid})`);
}

void main();
