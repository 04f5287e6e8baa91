/**
 * `npm run soak -- --minutes 10 [--cycle-seconds 20] [--concurrency 8]`: the library under
 * continuous use in one process, for as long as asked. Child applications are created, loaded
 * and shut down in turn (create → load → `app.close()` → repeat); while each lives: managed
 * tasks created and finished, `start: 'call'` calls, HTTP requests on kept-alive connections and
 * `/health` reads, all without pause — also during its shutdown, whose refusals are counted.
 * After each cycle, with nothing of the app left: heap after a full GC, event-loop delay
 * (`monitorEventLoopDelay`: p50, p99, max over the cycle) and the handles Node reports. At the end
 * the start / end / max of each, and the heap's slope (least squares, MB per hour): flat is the
 * promise. Not part of `npm test`.
 */
import 'reflect-metadata';
import { Controller, Get, Injectable, Module, Query } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Agent, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import {
  AsyncLifecycleModule,
  LifecycleCoordinator,
  LifecycleState,
  ManagedTask,
  TaskPriority,
  abortableDelay,
  currentTask,
} from 'nestjs-async-lifecycle';

const USAGE = 'usage: npm run soak -- [--minutes M] [--cycle-seconds S] [--concurrency C]';

function parseOptions() {
  try {
    return parseArgs({
      options: {
        minutes: { type: 'string', default: '1' },
        'cycle-seconds': { type: 'string', default: '20' },
        concurrency: { type: 'string', default: '8' },
      },
    }).values;
  } catch (error) {
    // A mistyped option is a usage error, not a crash with a stack.
    console.error(`${error instanceof Error ? error.message : String(error)}\n${USAGE}`);
    process.exit(2);
  }
}

const values = parseOptions();
const MINUTES = Number(values.minutes);
const CYCLE_MS = Number(values['cycle-seconds']) * 1000;
const CONCURRENCY = Number(values.concurrency);
if (![MINUTES, CYCLE_MS, CONCURRENCY].every((n) => Number.isFinite(n) && n > 0)) {
  console.error('--minutes, --cycle-seconds and --concurrency must be positive numbers');
  process.exit(2);
}
const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) {
  console.error('run with node --expose-gc (npm run soak does)');
  process.exit(2);
}

const counts = { tasks: 0, calls: 0, requests: 0, health: 0, refused: 0, shutdowns: 0 };

@Injectable()
class Ledger {
  // A unit of work called from handlers and from the task loop: a managed task per call.
  @ManagedTask({ start: 'call', priority: TaskPriority.NORMAL })
  async record(ms: number): Promise<void> {
    await abortableDelay(ms, currentTask()?.signal);
    counts.calls++;
  }
}

@Controller()
class SoakController {
  constructor(private readonly ledger: Ledger) {}

  @Get('work')
  async work(@Query('ms') ms: string): Promise<string> {
    await this.ledger.record(Number(ms));
    return 'ok';
  }

  @Get('health')
  health(): string {
    return 'up';
  }
}

@Module({
  imports: [
    AsyncLifecycleModule.forRoot({
      phases: { gracefulMs: 2000, forcefulMs: 500, terminateMs: 500 },
      progressIntervalMs: 0,
      logger: false,
    }),
  ],
  controllers: [SoakController],
  providers: [Ledger],
})
class SoakModule {}

/** GET on a kept-alive connection; resolves with the status, or 0 for a refused exchange. */
function get(agent: Agent, port: number, path: string): Promise<number> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path, agent }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', () => resolve(0));
    });
    req.on('error', () => resolve(0));
    req.end();
  });
}

/** One child application: created, loaded for CYCLE_MS, shut down under that load. */
async function cycle(): Promise<void> {
  const app = await NestFactory.create(SoakModule, { logger: false });
  await app.listen(0, '127.0.0.1');
  const port = ((app.getHttpServer() as Server).address() as AddressInfo).port;
  const coordinator = app.get(LifecycleCoordinator);
  const ledger = app.get(Ledger);
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  let loading = true;
  const loops: Promise<void>[] = [];
  // HTTP requests: each a managed task of the HTTP wave, making a `start: 'call'` call.
  for (let i = 0; i < CONCURRENCY; i++) {
    loops.push(
      (async () => {
        while (loading) {
          const status = await get(agent, port, `/work?ms=${i % 3}`);
          if (status === 200) counts.requests++;
          else {
            counts.refused++;
            if (coordinator.state !== LifecycleState.RUNNING) return;
          }
        }
      })(),
    );
  }
  // /health reads, as a probe does.
  loops.push(
    (async () => {
      while (loading) {
        if ((await get(agent, port, '/health')) === 200) counts.health++;
        await abortableDelay(100, coordinator.shutdownSignal).catch(() => undefined);
        if (coordinator.state !== LifecycleState.RUNNING) return;
      }
    })(),
  );
  // Managed tasks created and finished continuously, some making calls themselves.
  loops.push(
    (async () => {
      while (loading && coordinator.state === LifecycleState.RUNNING) {
        const batch = Array.from({ length: 50 }, (_, n) =>
          coordinator.createTask(
            async ({ signal }) => {
              if (n % 10 === 0) await ledger.record(1);
              else await abortableDelay(n % 3, signal);
              counts.tasks++;
            },
            { priority: n % 5 },
          ),
        );
        await Promise.allSettled(batch);
      }
    })(),
  );
  await abortableDelay(CYCLE_MS);
  // The shutdown runs under the load; then the load stops.
  await app.close();
  counts.shutdowns++;
  loading = false;
  await Promise.all(loops);
  agent.destroy();
}

interface Sample {
  minute: number;
  heapMb: number;
  handles: number;
  p50: number;
  p99: number;
  max: number;
}

function handles(): number {
  // Handles only: what a leak of sockets, servers, timers or listeners would show up as.
  return process.getActiveResourcesInfo().filter((type) => type !== 'PromiseResolveHandle').length;
}

function heapAfterGc(): number {
  gc?.();
  gc?.();
  return process.memoryUsage().heapUsed / 2 ** 20;
}

/** Least-squares slope of y over x. */
function slope(points: { x: number; y: number }[]): number {
  const n = points.length;
  const mx = points.reduce((s, p) => s + p.x, 0) / n;
  const my = points.reduce((s, p) => s + p.y, 0) / n;
  const num = points.reduce((s, p) => s + (p.x - mx) * (p.y - my), 0);
  const den = points.reduce((s, p) => s + (p.x - mx) ** 2, 0);
  return den === 0 ? 0 : num / den;
}

async function main(): Promise<void> {
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  const startedAt = performance.now();
  const samples: Sample[] = [];
  const ms = (ns: number): number => Math.round(ns / 1e5) / 10;
  const record = (): void => {
    const sample = {
      minute: Math.round((performance.now() - startedAt) / 600) / 100,
      heapMb: Math.round(heapAfterGc() * 10) / 10,
      handles: handles(),
      p50: ms(delay.percentile(50)),
      p99: ms(delay.percentile(99)),
      max: ms(delay.max),
    };
    delay.reset();
    samples.push(sample);
    console.log(
      `t=${sample.minute.toFixed(2)} min  heap ${sample.heapMb} MB  handles ${sample.handles}  ` +
        `loop delay p50 ${sample.p50} / p99 ${sample.p99} / max ${sample.max} ms  ` +
        `tasks ${counts.tasks} calls ${counts.calls} requests ${counts.requests} ` +
        `health ${counts.health} refused ${counts.refused} shutdowns ${counts.shutdowns}`,
    );
  };
  console.log(
    `soak: ${MINUTES} min, a child app every ${CYCLE_MS / 1000} s, ${CONCURRENCY} connections, Node ${process.version}`,
  );
  record();
  while (performance.now() - startedAt < MINUTES * 60_000) {
    await cycle();
    record();
  }
  delay.disable();
  // The first sample is before any app was made: the baseline of the process itself. Trends are
  // read from the end of the first cycle on (module loading and JIT warm-up happen in it).
  const steady = samples.slice(1);
  const heap = steady.map((s) => s.heapMb);
  const handleCounts = steady.map((s) => s.handles);
  const heapSlope = slope(steady.map((s) => ({ x: s.minute, y: s.heapMb }))) * 60;
  const handleSlope = slope(steady.map((s) => ({ x: s.minute, y: s.handles }))) * 60;
  console.log(
    [
      `summary over ${steady.length} cycles (${samples.at(-1)?.minute.toFixed(1)} min):`,
      `  heap after GC: start ${heap[0]} MB, end ${heap.at(-1)} MB, max ${Math.max(...heap)} MB, slope ${heapSlope.toFixed(2)} MB/h`,
      `  handles: start ${handleCounts[0]}, end ${handleCounts.at(-1)}, max ${Math.max(...handleCounts)}, slope ${handleSlope.toFixed(2)}/h`,
      `  event-loop delay p99: max ${Math.max(...steady.map((s) => s.p99))} ms; max ${Math.max(...steady.map((s) => s.max))} ms`,
      `  ${counts.tasks} tasks, ${counts.calls} calls, ${counts.requests} requests, ${counts.health} health reads, ${counts.refused} refused during shutdowns, ${counts.shutdowns} shutdowns`,
    ].join('\n'),
  );
}

await main();
