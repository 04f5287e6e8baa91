// Boots the application over HTTP, runs a task, closes, and prints what the test checks.
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { get } from 'node:http';
import type { AddressInfo } from 'node:net';
import { LifecycleCoordinator } from 'nestjs-async-lifecycle';
import { AppModule } from './app.module.js';
import { JobsService } from './jobs.service.js';

/** One GET on a connection of its own (no keep-alive agent left behind). */
function getJson(url: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    get(url, { agent: false }, (response) => {
      let text = '';
      response.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
      response.on('end', () => resolve({ status: response.statusCode, body: JSON.parse(text) }));
    }).on('error', reject);
  });
}

const app = await NestFactory.create(AppModule, { logger: false });
await app.listen(0, '127.0.0.1');
const { port } = app.getHttpServer().address() as AddressInfo;
const coordinator = app.get(LifecycleCoordinator);
const jobs = app.get(JobsService);
const poller = jobs.startPoller();
await jobs.pollerStarted;
console.log(`HEALTH ${JSON.stringify(await getJson(`http://127.0.0.1:${port}/health`))}`);

await app.close();
console.log(`RESOLVED ${import.meta.resolve('nestjs-async-lifecycle')}`);
console.log(`TASK ${await poller}`);
console.log(`REPORT ${JSON.stringify(coordinator.getReport())}`);
