import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { connect as natsConnect, type NatsConnection } from '@nats-io/transport-node';
import { Logger } from '@nestjs/common';
import { ClientProxyFactory, Transport, type ClientProxy } from '@nestjs/microservices';
import { Redis } from 'ioredis';
import { lastValueFrom } from 'rxjs';
import type { MicroserviceTransportReport } from '../../lib/intake/microservices/microservices-intake.report.js';
import { isRetryableRpcError } from '../../lib/intake/microservices/retryable-rpc-error.js';
import type { ShutdownReport } from '../../lib/core/shutdown-report.interface.js';
import { request } from '../support/microservices/rpc-client.js';
import {
  MessageLedger,
  WorkerFleet,
  runSeed,
  seededRandom,
  type WorkerProcess,
} from '../support/microservices/worker-fleet.js';
import {
  describeWithBroker,
  startNats,
  startRabbitMq,
  startRedis,
} from '../support/servers/brokers.js';
import { freePort } from '../support/servers/free-port.js';
import type { RunningServer } from '../support/servers/server-process.js';

/**
 * Nothing lost, per transport: a producer sends MESSAGES messages; a worker process (a Nest
 * microservice with AsyncLifecycleModule and enableLifecycleShutdown, no shutdown code of its
 * own) handles them with random durations, gets SIGTERM after a random number of messages,
 * exits, and a new one takes over — SIGTERMS times, then a last one finishes the work. Every
 * message must complete exactly once, or be visibly redelivered by the broker; none is lost.
 * Random moments come from a seed printed with the figures (`SEED=<n>` replays a run).
 */
// NOTHING_LOST_MESSAGES / NOTHING_LOST_SIGTERMS make longer runs (kept short in `npm test`).
const MESSAGES = Number(process.env.NOTHING_LOST_MESSAGES ?? 30);
const SIGTERMS = Number(process.env.NOTHING_LOST_SIGTERMS ?? 3);
const WINDOW = 4;
// Small budgets: a long message (LONG_MS) in flight at SIGTERM outlives GRACEFUL, so FORCEFUL
// hands it back — the path where the transport's redelivery (or the client's retry) matters.
const PHASES = { gracefulMs: 400, forcefulMs: 1500, terminateMs: 500 };
const LONG_MS = 1500;
const TEST_TIMEOUT_MS = 60_000 + (MESSAGES + SIGTERMS * 500) * 100;

interface Job {
  id: number;
  ms: number;
}

/** What the client saw besides answers: each retry, by why it was needed. */
interface ProducerTally {
  /** Answered with the retryable "shutting down" error. */
  refused: number;
  /** Not delivered to any worker (no subscriber, no responder, connection refused). */
  notDelivered: number;
  /** The connection closed before an answer (TCP). */
  connectionClosed: number;
  /** Anything else: a failure of the test. */
  unexpected: string[];
}

function newTally(): ProducerTally {
  return { refused: 0, notDelivered: 0, connectionClosed: 0, unexpected: [] };
}

/** Describes an error for the tally without trusting its shape. */
function errorText(error: unknown): string {
  if (error instanceof Error) return error.message;
  try {
    return JSON.stringify(error);
  } catch {
    return String(error);
  }
}

interface Scenario {
  transport: 'tcp' | 'redis' | 'nats' | 'rmq';
  env: Record<string, string>;
  /** Whether some messages outlive GRACEFUL (not for Redis: pub/sub cannot hand them back). */
  longMessages: boolean;
  produce(jobs: Job[], fleet: WorkerFleet): Promise<ProducerTally>;
}

interface RunResult {
  seed: number;
  ledger: MessageLedger;
  workers: WorkerProcess[];
  tally: ProducerTally;
}

// The producers' Nest clients would log their connections to the test output.
Logger.overrideLogger(false);

const fleets: WorkerFleet[] = [];
const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const fleet of fleets.splice(0)) await fleet.closeAll();
  for (const close of closers.splice(0)) await close();
});

async function run(scenario: Scenario): Promise<RunResult> {
  const seed = runSeed();
  console.info(`nothing-lost ${scenario.transport}: seed=${seed} (SEED=${seed} replays it)`);
  const random = seededRandom(seed);
  const jobs: Job[] = Array.from({ length: MESSAGES }, (_, i) => ({
    id: i + 1,
    ms: scenario.longMessages && random() < 0.1 ? LONG_MS : 5 + Math.floor(random() * 45),
  }));
  const sigtermAfter = Array.from({ length: SIGTERMS }, () => 3 + Math.floor(random() * 8));
  const ledger = new MessageLedger(MESSAGES);
  const fleet = new WorkerFleet({ ...scenario.env, PHASES: JSON.stringify(PHASES) }, ledger);
  fleets.push(fleet);

  let producing: Promise<ProducerTally> | undefined;
  const rounds = async (): Promise<void> => {
    let starting = fleet.start();
    for (let round = 0; round <= SIGTERMS; round++) {
      const worker = await starting;
      producing ??= scenario.produce(jobs, fleet);
      // A producer that fails ends the run at once, rather than leaving it waiting.
      const failed = producing.then(() => new Promise<never>(() => undefined));
      if (round < SIGTERMS) {
        await Promise.race([
          worker.startedMessages(sigtermAfter[round]),
          ledger.completed(),
          failed,
        ]);
      } else {
        await Promise.race([ledger.completed(), failed]);
      }
      worker.child.kill('SIGTERM');
      // The next instance boots while this one drains, as in a rolling update. It cannot
      // overlap with this one's intake: this one stops taking messages at the first instant of
      // SIGTERM (TCP listener closed, Redis unsubscribed…), and a boot takes far longer.
      if (round < SIGTERMS) {
        starting = fleet.start();
        // Observed now: if the run fails before it is awaited, its failure is not unhandled.
        starting.catch(() => undefined);
      }
      await worker.exited;
    }
  };
  // A run that stalls fails with what it knows, before Jest's timeout says nothing.
  let stall: ReturnType<typeof setTimeout> | undefined;
  try {
    await Promise.race([
      rounds(),
      new Promise<never>((_, reject) => {
        stall = setTimeout(
          () => reject(new Error(`stalled: ${diagnose(seed, ledger, fleet)}`)),
          TEST_TIMEOUT_MS - 5_000,
        );
      }),
    ]);
  } finally {
    clearTimeout(stall);
  }
  const tally = await producing!;
  const result = { seed, ledger, workers: fleet.workers, tally };
  console.info(figures(scenario.transport, result));
  return result;
}

/** What a stalled run knows: the messages not completed, and how each worker ended. */
function diagnose(seed: number, ledger: MessageLedger, fleet: WorkerFleet): string {
  const workers = fleet.workers.map(
    (worker, index) =>
      `worker ${index} (exit ${worker.child.exitCode}):\n${worker.lines.slice(-15).join('\n')}\n${worker.stderr}`,
  );
  return `seed=${seed} not completed: ${ledger.lost().join(', ')}\n${workers.join('\n')}`;
}

/** One line of figures for the README. */
function figures(transport: string, { seed, ledger, workers, tally }: RunResult): string {
  const handedBack = workers
    .map((w) => w.report<ShutdownReport>()?.intakes?.microservices?.[transport as 'tcp'])
    .reduce((sum, section) => sum + (section?.handedBack ?? 0), 0);
  return (
    `nothing-lost ${transport}: seed=${seed} messages=${MESSAGES} workers=${workers.length} ` +
    `sigtermsMidRun=${workers.length - 1} completed=${ledger.done.size} duplicates=${ledger.duplicates().length} ` +
    `lost=${ledger.lost().length} redelivered=${ledger.redelivered.size} handedBack=${handedBack} ` +
    `refusedRetried=${tally.refused} notDeliveredResent=${tally.notDelivered} ` +
    `connectionClosedRetried=${tally.connectionClosed}`
  );
}

/** What every run must show, whatever the transport. */
function expectNothingLost(transport: string, { ledger, workers, tally }: RunResult): void {
  const problems = workers.flatMap((worker, index) => {
    const found: string[] = [];
    const exit = worker.child.exitCode;
    if (exit !== 0) found.push(`worker ${index} exited ${exit}`);
    const errors = worker
      .output()
      .split('\n')
      .filter((l) => /\bERROR\b|Unhandled|FATAL/.test(l));
    if (errors.length > 0) found.push(`worker ${index} logged: ${errors.join(' | ')}`);
    // In order: no message completes after the CRITICAL pool closed.
    const poolClosed = worker.lines.indexOf('POOL CLOSED');
    if (poolClosed < 0) found.push(`worker ${index} never closed its pool`);
    const lastDone = worker.lines.findLastIndex((l) => l.startsWith('DONE '));
    if (lastDone > poolClosed)
      found.push(`worker ${index} completed a message after its pool closed`);
    const section: MicroserviceTransportReport | undefined =
      worker.report<ShutdownReport>()?.intakes?.microservices?.[transport as 'tcp'];
    if (section === undefined) {
      found.push(`worker ${index} reported no ${transport} section`);
    } else {
      const { inFlightAtStart, admitted, drained, handedBack, unfinished, dropped } = section;
      if (inFlightAtStart + admitted !== drained + handedBack + unfinished) {
        found.push(`worker ${index} report does not add up: ${JSON.stringify(section)}`);
      }
      if (unfinished > 0 || dropped > 0) found.push(`worker ${index}: ${JSON.stringify(section)}`);
    }
    // Every message a worker started ended in that worker: completed, or stopped and handed back.
    const started = worker.lines.filter((l) => l.startsWith('START ')).map((l) => l.split(' ')[1]);
    for (const id of started) {
      if (!worker.lines.some((l) => l === `DONE ${id}` || l === `ABORT ${id}`)) {
        found.push(`worker ${index} cut message ${id} silently`);
      }
    }
    return found;
  });
  expect({
    lost: ledger.lost(),
    duplicates: ledger.duplicates(),
    unexpectedClientErrors: tally.unexpected,
    problems,
  }).toEqual({ lost: [], duplicates: [], unexpectedClientErrors: [], problems: [] });
  // The runs did what they are for: messages were stopped mid-run.
  expect(workers.length).toBe(SIGTERMS + 1);
}

describeWithBroker('rabbitmq')(
  'nothing lost: RabbitMQ (noAck: false), real broker, real SIGTERMs',
  () => {
    let rabbit: RunningServer & { url: string };
    beforeAll(async () => {
      rabbit = await startRabbitMq();
    }, 90_000);
    afterAll(() => rabbit?.stop());

    it(
      'every message completes exactly once or is visibly redelivered; none is lost',
      async () => {
        const queue = `work-${Date.now()}`;
        const result = await run({
          transport: 'rmq',
          env: { TRANSPORT: 'rmq', BROKER_URL: rabbit.url, QUEUE: queue },
          longMessages: true,
          async produce(jobs) {
            const client: ClientProxy = ClientProxyFactory.create({
              transport: Transport.RMQ,
              options: { urls: [rabbit.url], queue, persistent: true },
            });
            closers.push(async () => {
              await (client.close() as unknown);
            });
            // The broker keeps them: all published at once.
            for (const job of jobs) await lastValueFrom(client.emit('work-rmq', job));
            return newTally();
          },
        });
        expectNothingLost('rmq', result);
        // A redelivered message was handed back (nacked at FORCEFUL) or never acknowledged.
        for (const id of result.ledger.redelivered) expect(result.ledger.done.get(id)).toBe(1);
      },
      TEST_TIMEOUT_MS,
    );
  },
);

describeWithBroker('nats')(
  'nothing lost: NATS core (queue group), real server, real SIGTERMs',
  () => {
    let nats: RunningServer & { url: string };
    let client: NatsConnection | undefined;
    beforeAll(async () => {
      nats = await startNats();
    }, 30_000);
    afterAll(async () => {
      await client?.close();
      await nats?.stop();
    });

    it(
      'every request the queue group received completes exactly once; one sent while no worker listened fails at once (no responders) and is sent again',
      async () => {
        const result = await run({
          transport: 'nats',
          env: { TRANSPORT: 'nats', BROKER_URL: nats.url, QUEUE: 'workers' },
          longMessages: true,
          async produce(jobs, fleet) {
            client = await natsConnect({ servers: [nats.url] });
            const nc = client;
            const tally = newTally();
            const queue = [...jobs];
            let attempt = 0;
            await Promise.all(
              Array.from({ length: WINDOW }, async () => {
                for (let job = queue.shift(); job !== undefined; job = queue.shift()) {
                  for (;;) {
                    const generation = fleet.current;
                    // Nest's packet: a request is a pattern, its data and an id.
                    const packet = JSON.stringify({
                      pattern: 'work',
                      data: job,
                      id: `${++attempt}`,
                    });
                    try {
                      const reply = (await nc.request('work', packet, { timeout: 30_000 })).json<{
                        response?: unknown;
                        err?: unknown;
                      }>();
                      if (reply.err === undefined && reply.response === job.id) break;
                      if (isRetryableRpcError(reply.err)) tally.refused++;
                      else tally.unexpected.push(errorText(reply.err ?? reply));
                    } catch (error) {
                      const noResponders =
                        (error as { isNoResponders?: () => boolean }).isNoResponders?.() === true;
                      if (!noResponders) throw error;
                      tally.notDelivered++;
                    }
                    await fleet.next(generation);
                  }
                }
              }),
            );
            return tally;
          },
        });
        expectNothingLost('nats', result);
      },
      TEST_TIMEOUT_MS,
    );
  },
);

describeWithBroker('redis')('nothing lost: Redis pub/sub, real server, real SIGTERMs', () => {
  let redis: RunningServer & { url: string };
  let publisher: Redis | undefined;
  beforeAll(async () => {
    redis = await startRedis();
  }, 30_000);
  afterAll(async () => {
    publisher?.disconnect();
    await redis?.stop();
  });

  it(
    'every event a worker received completes exactly once; one published while no worker was subscribed reaches no one (PUBLISH says 0) and is published again',
    async () => {
      const result = await run({
        transport: 'redis',
        env: { TRANSPORT: 'redis', BROKER_URL: redis.url },
        longMessages: false,
        async produce(jobs, fleet) {
          publisher = new Redis(redis.port, '127.0.0.1');
          const pub = publisher;
          const tally = newTally();
          let delivered = 0;
          for (const job of jobs) {
            // At most WINDOW events in flight, counted from what the workers printed.
            await fleet.ledger.completed(delivered - WINDOW + 1);
            for (;;) {
              const generation = fleet.current;
              const packet = JSON.stringify({ pattern: 'work-event', data: job });
              if ((await pub.publish('work-event', packet)) > 0) break;
              tally.notDelivered++;
              await fleet.next(generation);
            }
            delivered++;
          }
          return tally;
        },
      });
      expectNothingLost('redis', result);
    },
    TEST_TIMEOUT_MS,
  );
});

describe('nothing lost: TCP request/response (hybrid app), real sockets, real SIGTERMs', () => {
  it(
    'every request is answered exactly once: refused or handed back ones with a retryable error, none hanging',
    async () => {
      const port = await freePort();
      const result = await run({
        transport: 'tcp',
        env: { TRANSPORT: 'tcp', MODE: 'hybrid', PORT: String(port) },
        longMessages: true,
        async produce(jobs, fleet) {
          const client: ClientProxy = ClientProxyFactory.create({
            transport: Transport.TCP,
            options: { host: '127.0.0.1', port },
          });
          closers.push(async () => {
            await (client.close() as unknown);
          });
          const tally = newTally();
          const queue = [...jobs];
          await Promise.all(
            Array.from({ length: WINDOW }, async () => {
              for (let job = queue.shift(); job !== undefined; job = queue.shift()) {
                for (;;) {
                  const generation = fleet.current;
                  const outcome = await request(client, 'work', job);
                  if (outcome.ok && outcome.value === job.id) break;
                  const error = outcome.ok ? outcome.value : outcome.error;
                  const text = errorText(error);
                  if (isRetryableRpcError(error)) tally.refused++;
                  else if (/ECONNREFUSED/.test(text)) tally.notDelivered++;
                  else if (/Connection closed/.test(text)) tally.connectionClosed++;
                  else tally.unexpected.push(text);
                  await fleet.next(generation);
                }
              }
            }),
          );
          return tally;
        },
      });
      expectNothingLost('tcp', result);
    },
    TEST_TIMEOUT_MS,
  );
});
