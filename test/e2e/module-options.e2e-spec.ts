import 'reflect-metadata';
import { afterEach, describe, expect, it } from '@jest/globals';
import { Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import {
  AsyncLifecycleModule,
  InvalidLifecycleOptionError,
  type AsyncLifecycleOptions,
} from '../../lib/index.js';
import { OpenApps } from '../support/nest-app.js';

/*
 * DESIGN §7 "unknown option, negative budget, non-number budget → bootstrap fails with a message
 * naming the option and the value", with the values users really pass by mistake: `null` to
 * forRoot, a factory of forRootAsync that returns `null` (a config lookup that found nothing).
 */

/** What compiling (and for contexts, booting) a module with these imports throws. */
async function bootstrapError(build: () => Promise<unknown>): Promise<unknown> {
  try {
    await build();
  } catch (error) {
    return error;
  }
  throw new Error('bootstrap did not fail');
}

const NULL_OPTIONS = 'Invalid option options = null: expected a plain object';

describe('module options, validated at bootstrap', () => {
  const apps = new OpenApps();
  afterEach(() => apps.closeAll());

  it.each([
    ['null', null, NULL_OPTIONS],
    // Nest's builder would have copied an array's keys into {}: valid options, silently.
    ['[]', [], 'Invalid option options = []: expected a plain object'],
  ])(
    'forRoot(%s): an InvalidLifecycleOptionError naming the value',
    async (_label, value, message) => {
      const error = await bootstrapError(() =>
        Test.createTestingModule({
          imports: [AsyncLifecycleModule.forRoot(value as unknown as AsyncLifecycleOptions)],
        }).compile(),
      );
      expect(error).toBeInstanceOf(InvalidLifecycleOptionError);
      expect(error).toMatchObject({ message, option: 'options', value });
    },
  );

  it.each([
    ['useFactory', () => ({ useFactory: () => null as unknown as AsyncLifecycleOptions })],
    [
      'an async useFactory',
      () => ({ useFactory: () => Promise.resolve(null as unknown as AsyncLifecycleOptions) }),
    ],
    [
      'useClass',
      () => {
        @Injectable()
        class NullOptions {
          create(): AsyncLifecycleOptions {
            return null as unknown as AsyncLifecycleOptions;
          }
        }
        return { useClass: NullOptions };
      },
    ],
  ])('forRootAsync with %s returning null: the same error', async (_label, async) => {
    const error = await bootstrapError(() =>
      Test.createTestingModule({ imports: [AsyncLifecycleModule.forRootAsync(async())] }).compile(),
    );
    expect(error).toBeInstanceOf(InvalidLifecycleOptionError);
    expect(error).toMatchObject({ message: NULL_OPTIONS });
  });

  it('an application context with a bad option fails before anything starts', async () => {
    @Module({
      imports: [AsyncLifecycleModule.forRoot({ phases: { gracefulMs: -1 } })],
    })
    class BadModule {}
    const error = await bootstrapError(async () =>
      apps.track(
        await NestFactory.createApplicationContext(BadModule, {
          logger: false,
          abortOnError: false,
        }),
      ),
    );
    expect(error).toBeInstanceOf(InvalidLifecycleOptionError);
    expect(error).toMatchObject({ option: 'phases.gracefulMs', value: -1 });
  });
});
