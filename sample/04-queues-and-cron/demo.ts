/**
 * `npm run demo:queues`: runs the worker (`main.ts`) against Redis, gives it work, sends it
 * SIGTERM mid-work and prints what the shutdown did. Without `REDIS_URL` it starts a
 * `redis-server` of its own on a free loopback port (no persistence) and stops it after.
 *
 * The work: four short reports and a long one (8 s, longer than the worker's 3 s GRACEFUL) as
 * BullMQ jobs, two `order.created` events and a `report.request` over the Redis transport. SIGTERM
 * goes out once the long job, both orders and a sweep tick are running. Then the queue's counts
 * show that nothing was lost: the long job is back in `wait`, none failed.
 */
import 'reflect-metadata';
import { ClientProxyFactory, Transport, type ClientProxy } from '@nestjs/microservices';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { lastValueFrom } from 'rxjs';
import { redisConnection } from './redis-connection.js';
import { REPORTS_QUEUE, type ReportJob } from './reports.processor.js';

const here = dirname(fileURLToPath(import.meta.url));

/** A free loopback port: the one the system gives a listener on port 0. */
async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  await once(server, 'close');
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/**
 * Reads `child`'s output line by line, echoing it when `echo`; `waitFor(pattern)` resolves with
 * the next line matching `pattern` (rejects if the process exits first).
 */
function watchLines(child: ChildProcess, echo: boolean): (pattern: RegExp) => Promise<string> {
  if (child.stdout === null) throw new Error('no stdout');
  const waiters = new Set<{ pattern: RegExp; resolve: (line: string) => void }>();
  createInterface({ input: child.stdout }).on('line', (line) => {
    if (echo) console.log(line);
    // Nest colours its lines on a terminal: matched without the colour codes.
    // eslint-disable-next-line no-control-regex -- the escape character starts each code
    const text = line.replace(/\x1b\[[0-9;]*m/g, '');
    for (const waiter of waiters) {
      if (waiter.pattern.test(text)) {
        waiters.delete(waiter);
        waiter.resolve(line);
      }
    }
  });
  const exited = once(child, 'exit');
  return (pattern) =>
    Promise.race([
      new Promise<string>((resolve) => waiters.add({ pattern, resolve })),
      exited.then(() => {
        throw new Error(`exited before printing a line matching ${String(pattern)}`);
      }),
    ]);
}

/** A throwaway `redis-server`: its URL, and how to stop it. */
async function startRedis(): Promise<{ url: string; stop: () => Promise<void> }> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'demo-queues-'));
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];
  const redis = spawn('redis-server', [...args, '--dir', dir], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const failed = once(redis, 'error').then(([error]) => {
    throw new Error(
      `could not start redis-server (apt-get install -y redis-server): ${String(error)}`,
    );
  });
  await Promise.race([watchLines(redis, false)(/Ready to accept connections/), failed]);
  console.log(`demo: started redis-server on 127.0.0.1:${port}`);
  return {
    url: `redis://127.0.0.1:${port}`,
    stop: async () => {
      const exited = once(redis, 'exit');
      redis.kill('SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function main(): Promise<void> {
  const given = process.env.REDIS_URL;
  const own = given === undefined ? await startRedis() : undefined;
  const url = own?.url ?? given;
  const connection = redisConnection(url);
  const queue = new Queue<ReportJob>(REPORTS_QUEUE, { connection });
  const client: ClientProxy = ClientProxyFactory.create({
    transport: Transport.REDIS,
    options: connection,
  });
  let worker: ChildProcess | undefined;
  /** Forks the worker; its lines are echoed, `lineOf` waits for one. */
  const startWorker = (
    printReport: boolean,
  ): { lineOf: (pattern: RegExp) => Promise<string>; exited: Promise<unknown[]> } => {
    const child = fork(join(here, 'main.js'), [], {
      env: { ...process.env, REDIS_URL: url, PRINT_REPORT: printReport ? 'pretty' : '' },
      execArgv: ['--unhandled-rejections=strict'],
      stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
    });
    worker = child;
    return { lineOf: watchLines(child, true), exited: once(child, 'exit') };
  };
  // Job ids of this run: a Redis given in REDIS_URL may hold an earlier run's.
  const run = Date.now().toString(36);
  // Ctrl+C or a kill of the demo: the worker shuts down as it would, then Redis stops.
  const interrupted = (): void => {
    const child = worker;
    const exited =
      child === undefined || child.exitCode !== null || child.signalCode !== null
        ? Promise.resolve()
        : once(child, 'exit');
    child?.kill('SIGTERM');
    void exited.then(() => own?.stop()).finally(() => process.exit(130));
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  try {
    const first = startWorker(true);
    await first.lineOf(/^READY /);
    // Nest subscribes once connected: publish when Redis counts the subscriber.
    const redis = new Redis(connection);
    try {
      while (((await redis.pubsub('NUMSUB', 'order.created')) as [string, number])[1] < 1) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    } finally {
      redis.disconnect();
    }

    const longJobStarted = first.lineOf(new RegExp(`job quarterly-${run} .*started`));
    const ordersReceived = Promise.all([
      first.lineOf(new RegExp(`order ${run}-1 received`)),
      first.lineOf(new RegExp(`order ${run}-2 received`)),
    ]);
    await queue.add('report', { ms: 8_000 }, { jobId: `quarterly-${run}` });
    await queue.addBulk(
      [1, 2, 3, 4].map((n) => ({
        name: 'report',
        data: { ms: 300 },
        opts: { jobId: `daily-${run}-${n}` },
      })),
    );
    await client.connect();
    await lastValueFrom(client.emit('order.created', { id: `${run}-1`, ms: 1_500 }));
    await lastValueFrom(client.emit('order.created', { id: `${run}-2`, ms: 1_500 }));
    const requested = await lastValueFrom(client.send<string>('report.request', { ms: 500 }));
    console.log(`demo: report.request answered with job ${requested}`);
    await Promise.all([longJobStarted, ordersReceived]);
    await first.lineOf(/sweep \d+ started/);
    console.log('demo: SIGTERM while a long job, two orders and a sweep tick are running');
    worker?.kill('SIGTERM');
    const [code] = (await first.exited) as [number | null];
    const waiting = (await queue.getJobs(['wait'])).map((job) => job.id);
    const counts = await queue.getJobCounts('wait', 'active', 'completed', 'failed');
    console.log(`demo: exit code ${code}; queue ${REPORTS_QUEUE}: ${JSON.stringify(counts)}`);

    console.log(`demo: a new worker takes what waits (${waiting.join(', ')})`);
    const second = startWorker(false);
    await Promise.all(waiting.map((id) => second.lineOf(new RegExp(`job ${id} completed$`))));
    worker?.kill('SIGTERM');
    const [secondCode] = (await second.exited) as [number | null];
    const final = await queue.getJobCounts('wait', 'active', 'completed', 'failed');
    console.log(`demo: exit code ${secondCode}; queue ${REPORTS_QUEUE}: ${JSON.stringify(final)}`);
  } finally {
    process.off('SIGINT', interrupted);
    process.off('SIGTERM', interrupted);
    if (worker !== undefined && worker.exitCode === null && worker.signalCode === null) {
      worker.kill('SIGKILL');
    }
    await client.close();
    await queue.close();
    await own?.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
