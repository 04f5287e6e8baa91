import 'reflect-metadata';
import assert from 'node:assert/strict';
import { Injectable, Module, type OnApplicationShutdown } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { Measurement, ScenarioInput } from '../../harness/measurement.interface.js';
import { measure } from '../../harness/timing.js';
import { untilAborted } from '../task-bodies.js';

/** What a Nest developer writes without the module: abort everything, await it, in one hook. */
@Injectable()
class NaiveTasks implements OnApplicationShutdown {
  private readonly controllers = new Set<AbortController>();
  private readonly promises: Promise<unknown>[] = [];
  rejected = 0;

  start(n: number, body: (signal: AbortSignal) => Promise<unknown>): void {
    for (let i = 0; i < n; i++) {
      const controller = new AbortController();
      this.controllers.add(controller);
      this.promises.push(body(controller.signal));
    }
  }

  async onApplicationShutdown(): Promise<void> {
    for (const controller of this.controllers) controller.abort();
    const outcomes = await Promise.allSettled(this.promises);
    this.rejected = outcomes.filter((outcome) => outcome.status === 'rejected').length;
  }
}

@Module({ providers: [NaiveTasks] })
class NaiveModule {}

/**
 * The N tasks of the scenario held by a provider of a Nest application context whose
 * `onApplicationShutdown` aborts and awaits them; times `app.close()`.
 */
export async function run({ n }: ScenarioInput): Promise<Measurement> {
  const app = await NestFactory.createApplicationContext(NaiveModule, { logger: false });
  const tasks = app.get(NaiveTasks);
  tasks.start(n, untilAborted);
  const { ms } = await measure(() => app.close());
  assert.equal(tasks.rejected, n);
  return { value: ms };
}
