/**
 * A queue and cron worker, shut down by the module alone: a BullMQ processor, an interval and a
 * cron job, and Redis microservice handlers, in one standalone process. On SIGTERM the schedule
 * stops, the worker stops fetching, the Redis server unsubscribes; the jobs, ticks and messages in
 * flight finish in their wave; jobs still running at FORCEFUL go back to their queue.
 *
 * `NestFactory.createMicroservice` makes the worker: a microservice is an application context
 * (providers, lifecycle hooks, `@nestjs/schedule`, `@nestjs/bullmq` all work in it) that also
 * runs a transport. `connectMicroservice` exists only on an HTTP application, which this worker
 * does not need.
 *
 * Environment: REDIS_URL (default redis://127.0.0.1:6379), CONCURRENCY (BullMQ, default 2),
 * SWEEP_EVERY_MS / SWEEP_MS (the interval and the length of its tick), LIFECYCLE_OPTIONS (JSON
 * merged into the module options), PRINT_REPORT=1 | pretty (print the JSON report at exit).
 * Prints `READY (pid …)` once it takes messages. `npm run demo:queues` runs it against a Redis of
 * its own (`demo.ts`).
 */
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { Transport, type MicroserviceOptions } from '@nestjs/microservices';
import { LifecycleCoordinator, enableLifecycleShutdown } from 'nestjs-async-lifecycle';
import { redisConnection } from './redis-connection.js';
import { WorkerModule } from './worker.module.js';

async function main(): Promise<void> {
  const app = await NestFactory.createMicroservice<MicroserviceOptions>(WorkerModule, {
    transport: Transport.REDIS,
    options: redisConnection(),
  });
  enableLifecycleShutdown(app);
  await app.listen();
  console.log(`READY (pid ${process.pid}); Ctrl+C to shut down`);

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
}

void main();
