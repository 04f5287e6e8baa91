import 'reflect-metadata';
import { Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import {
  AsyncLifecycleModule,
  CancellationSafe,
  LifecycleCoordinator,
  ManagedTask,
} from 'nestjs-async-lifecycle';
import type { Measurement, ScenarioInput } from '../../harness/measurement.interface.js';
import { median } from '../../harness/statistics.js';

/**
 * The same trivial async method, bare and under each wrapper. `async` without an `await` on
 * purpose: the figure is the wrapper's own cost, not the body's.
 */
/* eslint-disable @typescript-eslint/require-await */
@Injectable()
class Calls {
  undone = 0;

  async bare(x: number): Promise<number> {
    return x;
  }

  @CancellationSafe('undo')
  async safe(x: number): Promise<number> {
    return x;
  }

  @ManagedTask({ start: 'call' })
  async call(x: number): Promise<number> {
    return x;
  }

  undo(): void {
    this.undone++;
  }
}
/* eslint-enable @typescript-eslint/require-await */

@Module({
  imports: [AsyncLifecycleModule.forRoot({ logger: false, http: false })],
  providers: [Calls],
})
class WrapperModule {}

type Variant = 'safe' | 'call';

/** Calls per timed block; blocks of the bare and the wrapped method alternate. */
const BLOCK = 2_000;

async function timeBlock(calls: Calls, method: 'bare' | Variant): Promise<number> {
  const start = performance.now();
  for (let i = 0; i < BLOCK; i++) await calls[method](i);
  return ((performance.now() - start) * 1000) / BLOCK;
}

async function compare(calls: Calls, variant: Variant, n: number): Promise<Measurement> {
  // Warm-up: both paths optimised before the first timed block.
  for (let i = 0; i < 5; i++) {
    await timeBlock(calls, 'bare');
    await timeBlock(calls, variant);
  }
  const bare: number[] = [];
  const wrapped: number[] = [];
  for (let done = 0; done < n; done += BLOCK) {
    bare.push(await timeBlock(calls, 'bare'));
    wrapped.push(await timeBlock(calls, variant));
  }
  const bareUs = median(bare);
  const wrappedUs = median(wrapped);
  return { value: wrappedUs - bareUs, detail: { bareUs, wrappedUs } };
}

async function runVariant(n: number, variant: Variant, inTask: boolean): Promise<Measurement> {
  const app = await NestFactory.createApplicationContext(WrapperModule, { logger: false });
  try {
    const calls = app.get(Calls);
    if (!inTask) return await compare(calls, variant, n);
    const coordinator = app.get(LifecycleCoordinator);
    return await coordinator.createTask(() => compare(calls, variant, n));
  } finally {
    await app.close();
  }
}

/** µs a `@CancellationSafe` call costs over the bare method, outside any task. */
export function runSafe({ n }: ScenarioInput): Promise<Measurement> {
  return runVariant(n, 'safe', false);
}

/** The same, called from inside a managed task (its signal is there to follow). */
export function runSafeInTask({ n }: ScenarioInput): Promise<Measurement> {
  return runVariant(n, 'safe', true);
}

/** µs a `@ManagedTask({ start: 'call' })` call costs over the bare method, outside any task. */
export function runCall({ n }: ScenarioInput): Promise<Measurement> {
  return runVariant(n, 'call', false);
}

/** The same, called from inside a managed task. */
export function runCallInTask({ n }: ScenarioInput): Promise<Measurement> {
  return runVariant(n, 'call', true);
}
