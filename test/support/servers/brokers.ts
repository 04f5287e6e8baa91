import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe } from '@jest/globals';
import amqplib from 'amqplib';
import { freePort } from './free-port.js';
import { hasCommand, startServer, type RunningServer } from './server-process.js';

/** The Debian packages the integration tests start as real servers. */
export const BROKERS = {
  redis: { command: 'redis-server', package: 'redis-server' },
  nats: { command: 'nats-server', package: 'nats-server' },
  rabbitmq: { command: 'rabbitmq-server', package: 'rabbitmq-server' },
} as const;

export type Broker = keyof typeof BROKERS;

const RABBITMQ = '/usr/lib/rabbitmq/bin/rabbitmq-server';

/**
 * `describe` when the broker is installed. On a developer machine without it the suite is
 * skipped with one line saying how to install it; in CI (`CI=true`) a missing broker is a
 * failure — CI never skips these tests.
 */
export function describeWithBroker(broker: Broker): typeof describe | typeof describe.skip {
  const { command, package: name } = BROKERS[broker];
  if (hasCommand(command)) return describe;
  const how = `apt-get install -y ${name}`;
  if (process.env.CI === 'true') {
    throw new Error(`${command} is missing in CI: .ci/run installs it (${how})`);
  }
  console.warn(`Skipping the ${broker} integration tests: ${command} is not installed (${how}).`);
  return describe.skip;
}

/** A Redis server on a free loopback port, without persistence. */
export async function startRedis(): Promise<RunningServer & { url: string }> {
  const port = await freePort();
  const server = await startServer({
    name: 'redis',
    command: 'redis-server',
    port,
    args: (dir) => [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      dir,
    ],
  });
  return { ...server, url: `redis://127.0.0.1:${port}` };
}

/** A NATS server on a free loopback port. */
export async function startNats(): Promise<RunningServer & { url: string }> {
  const port = await freePort();
  const server = await startServer({
    name: 'nats',
    command: 'nats-server',
    port,
    args: () => ['-a', '127.0.0.1', '-p', String(port)],
  });
  return { ...server, url: `nats://127.0.0.1:${port}` };
}

/**
 * A RabbitMQ broker (Debian's 3.10) on a free loopback port, with its own node name, data
 * directory, Erlang cookie and port mapper (stopped after the broker), so that nothing is left
 * behind and nothing clashes with another broker on the machine. Takes a few seconds to start.
 */
export async function startRabbitMq(): Promise<RunningServer & { url: string }> {
  const [port, distPort, epmdPort] = [await freePort(), await freePort(), await freePort()];
  const node = `lifecycle${port}@localhost`;
  const server = await startServer({
    name: 'rabbitmq',
    command: RABBITMQ,
    port,
    startTimeoutMs: 60_000,
    args: () => [],
    // Ready once an AMQP handshake completes: while it boots, the broker accepts TCP connections
    // and closes them during the handshake ("Socket closed abruptly during opening handshake").
    ready: async () => {
      try {
        const connection = await amqplib.connect(`amqp://guest:guest@127.0.0.1:${port}`);
        await connection.close();
        return true;
      } catch {
        return false;
      }
    },
    env: (dir) => {
      writeFileSync(join(dir, 'enabled_plugins'), '[].\n');
      writeFileSync(join(dir, 'rabbitmq.conf'), `listeners.tcp.default = 127.0.0.1:${port}\n`);
      return {
        HOME: dir,
        RABBITMQ_NODENAME: node,
        RABBITMQ_NODE_PORT: String(port),
        RABBITMQ_DIST_PORT: String(distPort),
        ERL_EPMD_PORT: String(epmdPort),
        RABBITMQ_MNESIA_BASE: join(dir, 'mnesia'),
        RABBITMQ_LOG_BASE: join(dir, 'log'),
        RABBITMQ_CONFIG_FILE: join(dir, 'rabbitmq'),
        RABBITMQ_ENABLED_PLUGINS_FILE: join(dir, 'enabled_plugins'),
        RABBITMQ_PID_FILE: join(dir, 'pid'),
      };
    },
    // The broker started its own Erlang port mapper on epmdPort: stop it too.
    afterStop: () => {
      spawnSync('epmd', ['-kill'], {
        env: { ...process.env, ERL_EPMD_PORT: String(epmdPort) },
        stdio: 'ignore',
      });
    },
  });
  return { ...server, url: `amqp://guest:guest@127.0.0.1:${port}` };
}
