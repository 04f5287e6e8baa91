import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { checkCleanupOptions, runCleanup } from '../../../lib/primitives/run-cleanup.js';
import { flushMicrotasks } from '../../support/deferred.js';
import { expectNoTimers } from '../../support/leak-checks.js';
import {
  expectSame,
  hostileValues,
  revokedProxy,
  settledState,
  throwingProxy,
} from './support/hostile-values.js';

describe('runCleanup', () => {
  let warn: jest.SpiedFunction<typeof process.emitWarning>;

  beforeEach(() => {
    jest.useFakeTimers({ doNotFake: ['nextTick', 'queueMicrotask'] });
    warn = jest.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
  });

  afterEach(() => {
    warn.mockRestore();
  });

  it.each([
    ['throws', () => Promise.reject(new Error('cleanup boom'))],
    [
      'throws synchronously',
      () => {
        throw new Error('cleanup boom');
      },
    ],
  ])(
    'resolves when the cleanup %s and onCleanupError throws too; a warning names both',
    async (_label, cleanup) => {
      const outcome = await settledState(
        runCleanup(
          {
            cleanup,
            onCleanupError: () => {
              throw throwingProxy();
            },
          },
          'test',
        ),
      );
      expect(outcome).toEqual({
        state: 'resolved',
        value: expect.objectContaining({ outcome: 'failed' }),
      });
      expect(warn).toHaveBeenCalledTimes(1);
      expect(warn.mock.calls[0][0]).toMatch(
        /^cleanup of test failed: Error: cleanup boom; its onCleanupError handler failed too: /,
      );
      expectNoTimers();
    },
  );

  it('turns an onCleanupError that rejects into a warning, never an unhandled rejection', async () => {
    await runCleanup(
      {
        cleanup: () => {
          throw new Error('cleanup boom');
        },
        onCleanupError: () => Promise.reject(new Error('log stream closed')),
      },
      'test',
    );
    await flushMicrotasks();
    expect(warn).toHaveBeenCalledWith(
      'cleanup of test failed: Error: cleanup boom; its onCleanupError handler failed too: Error: log stream closed',
      { code: 'ASYNC_LIFECYCLE_CLEANUP_FAILED' },
    );
  });

  it.each(hostileValues)(
    'hands a cleanup failure that is %s to onCleanupError as it is',
    async (_label, make) => {
      const value = make();
      const errors: unknown[] = [];
      await runCleanup(
        { cleanup: () => Promise.reject(value), onCleanupError: (e) => errors.push(e) },
        'test',
      );
      expect(errors).toHaveLength(1);
      expectSame(errors[0], value);
      await runCleanup({ cleanup: () => Promise.reject(make()) }, 'test');
      expect(warn).toHaveBeenCalledWith(expect.stringMatching(/^cleanup of test failed: /), {
        code: 'ASYNC_LIFECYCLE_CLEANUP_FAILED',
      });
    },
  );

  it('reports a cleanup that returns a value whose then cannot be read as failed', async () => {
    const result = await runCleanup({ cleanup: () => revokedProxy() }, 'test');
    expect(result?.outcome).toBe('failed');
    expect(warn).toHaveBeenCalledTimes(1);
  });
});

describe('checkCleanupOptions', () => {
  it.each([NaN, Infinity, -1, '100', 2 ** 31])('refuses cleanupTimeoutMs = %p', (value) => {
    expect(() => checkCleanupOptions({ cleanupTimeoutMs: value as number })).toThrow(
      /^Invalid option cleanupTimeoutMs = /,
    );
  });

  it('refuses a cleanup or onCleanupError that is not a function, and a missing required cleanup', () => {
    expect(() => checkCleanupOptions({ cleanup: 'flush' as unknown as () => unknown })).toThrow(
      'Invalid option cleanup = "flush": expected a function',
    );
    expect(() => checkCleanupOptions({ onCleanupError: 1 as unknown as () => void })).toThrow(
      'Invalid option onCleanupError = 1: expected a function',
    );
    expect(() => checkCleanupOptions({}, true)).toThrow('Invalid option cleanup = undefined');
    expect(() => checkCleanupOptions({})).not.toThrow();
  });
});
