import { afterEach, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import {
  describeWithBroker,
  startNats,
  startRabbitMq,
  startRedis,
} from '../support/servers/brokers.js';
import type { RunningServer } from '../support/servers/server-process.js';

/** Sends `line` and resolves with the first chunk the server answers. */
function exchange(port: number, line: string | undefined): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => {
      if (line !== undefined) socket.write(line);
    });
    socket.setEncoding('utf8');
    socket.once('data', (chunk: string) => {
      socket.destroy();
      resolve(chunk);
    });
    socket.once('error', reject);
  });
}

let server: RunningServer | undefined;
afterEach(async () => {
  await server?.stop();
  server = undefined;
});

describeWithBroker('redis')('a test Redis server', () => {
  it('answers on its own port and leaves nothing behind', async () => {
    server = await startRedis();
    expect(await exchange(server.port, 'PING\r\n')).toBe('+PONG\r\n');
    const { directory } = server;
    await server.stop();
    server = undefined;
    expect(existsSync(directory)).toBe(false);
  }, 30_000);
});

describeWithBroker('nats')('a test NATS server', () => {
  it('greets with INFO on its own port', async () => {
    server = await startNats();
    expect(await exchange(server.port, undefined)).toMatch(/^INFO /);
  }, 30_000);
});

describeWithBroker('rabbitmq')('a test RabbitMQ broker', () => {
  it('speaks AMQP on its own port and stops with its port mapper', async () => {
    server = await startRabbitMq();
    // An AMQP client opens with the protocol header; the broker answers Connection.Start.
    const answer = await exchange(server.port, 'AMQP\x00\x00\x09\x01');
    expect(answer.charCodeAt(0)).toBe(1); // a method frame
    await server.stop();
    server = undefined;
    const beams = spawnSync('sh', ['-c', 'pgrep -f "lifecycle[0-9]+@localhost" || true']);
    expect(beams.stdout.toString().trim()).toBe('');
  }, 90_000);
});
