/**
 * Sample 06: nothing lost across restarts. A worker takes jobs from an in-memory queue fed over
 * HTTP; at SIGTERM the HTTP intake stops taking jobs, the worker stops after it, and its cleanup
 * checkpoints every job accepted but not done (`writeJsonAtomic`); the next boot resumes them.
 *
 *   DATA_DIR=/tmp/jobs PORT=3000 node .build/sample/06-checkpoint-worker/main.js
 *   curl -X POST localhost:3000/jobs/a1; kill -TERM <pid>; # restart: RESUMED …
 *
 * Prints `READY <port>`, `RESUMED <n> <ids>`, `DONE <id>`, `CHECKPOINT <n>` (one fact a line).
 */
import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { AsyncLifecycleModule, enableLifecycleShutdown } from 'nestjs-async-lifecycle';
import { DATA_DIR, JobQueue } from './job-queue.js';
import { JobWorker } from './job-worker.js';
import { JobsController } from './jobs.controller.js';

@Module({
  imports: [
    AsyncLifecycleModule.forRoot({
      phases: { gracefulMs: 5_000, forcefulMs: 2_000, terminateMs: 1_000 },
      progressIntervalMs: 0,
    }),
  ],
  controllers: [JobsController],
  providers: [JobQueue, JobWorker],
})
class WorkerModule {}

async function bootstrap(): Promise<void> {
  mkdirSync(DATA_DIR, { recursive: true });
  const app = await NestFactory.create(WorkerModule, { logger: ['error', 'warn'] });
  enableLifecycleShutdown(app);
  await app.listen(Number(process.env.PORT ?? 3000), '127.0.0.1');
  console.log(`READY ${((app.getHttpServer() as Server).address() as AddressInfo).port}`);
}
void bootstrap();
