import { describe, expect, it } from '@jest/globals';
import { InvalidLifecycleOptionError } from '../../../lib/core/invalid-option.error.js';
import { LifecycleCoordinator } from '../../../lib/core/lifecycle-coordinator.js';
import {
  DEFAULT_BUDGETS,
  lifecycleOptionWarnings,
  resolveLifecycleOptions,
} from '../../../lib/core/lifecycle-options.validator.js';
import { RecordingLogger } from '../../support/recording-logger.js';

describe('resolveLifecycleOptions', () => {
  it('fills in the documented defaults', () => {
    expect(resolveLifecycleOptions({})).toEqual({
      gracefulMs: 30_000,
      forcefulMs: 10_000,
      terminateMs: 5_000,
      drain: { minMs: 0, maxMs: 0, quietMs: 0 },
      cleanupTimeoutMs: 5_000,
      gracePeriodMs: undefined,
      progressIntervalMs: DEFAULT_BUDGETS.progressIntervalMs,
      asyncContext: true,
      logger: undefined,
    });
  });

  it.each([
    [{ timeout: 5 }, 'Unknown option timeout = 5; known options are: phases, drainDelayMs'],
    [
      { phases: { gracefullMs: 5 } },
      'Unknown option phases.gracefullMs = 5; known options are: gracefulMs, forcefulMs, terminateMs',
    ],
    [
      { phases: { gracefulMs: -1 } },
      'Invalid option phases.gracefulMs = -1: expected a finite number of milliseconds between 0 and 2147483647',
    ],
    [
      { phases: { forcefulMs: '10s' } },
      'Invalid option phases.forcefulMs = "10s": expected a finite number',
    ],
    [{ phases: { terminateMs: Number.NaN } }, 'Invalid option phases.terminateMs = NaN'],
    [{ phases: { gracefulMs: Infinity } }, 'Invalid option phases.gracefulMs = Infinity'],
    [{ phases: { gracefulMs: 2 ** 31 } }, 'Invalid option phases.gracefulMs = 2147483648'],
    [{ phases: 30 }, 'Invalid option phases = 30: expected an object'],
    [{ drainDelayMs: -10 }, 'Invalid option drainDelayMs = -10'],
    [{ cleanupTimeoutMs: null }, 'Invalid option cleanupTimeoutMs = null'],
    [
      { gracePeriodMs: 0 },
      'Invalid option gracePeriodMs = 0: expected a finite number of milliseconds between 1',
    ],
    [{ http: true }, 'Unknown option http = true; known options are: phases, drainDelayMs, drain'],
    [{ drain: 5 }, 'Invalid option drain = 5: expected an object'],
    [{ drain: { quietMs: -1 } }, 'Invalid option drain.quietMs = -1'],
    [
      { phases: { gracefulMs: 2 ** 31 - 1, forcefulMs: 10 } },
      'Invalid option phases = {"drainMs":0,"gracefulMs":2147483647,"forcefulMs":10}: expected budgets whose sum (2147488657 ms with the drain) is at most 2147483647 ms',
    ],
    [
      { logger: { log: () => undefined } },
      'Invalid option logger = {"log":"[function log]"}: expected a boolean or an object with log, warn and error methods',
    ],
    [{ progressIntervalMs: -1 }, 'Invalid option progressIntervalMs = -1'],
    [{ asyncContext: 'no' }, 'Invalid option asyncContext = "no": expected a boolean'],
  ])('rejects %j with a message naming the option and the value', (options, message) => {
    expect(() => resolveLifecycleOptions(options)).toThrow(InvalidLifecycleOptionError);
    expect(() => resolveLifecycleOptions(options)).toThrow(message);
  });

  it('rejects a non-object', () => {
    expect(() => resolveLifecycleOptions('fast')).toThrow(
      'Invalid option options = "fast": expected a plain object',
    );
  });

  it('carries the option name and value on the error', () => {
    try {
      resolveLifecycleOptions({ drainDelayMs: -3 });
      throw new Error('unreachable');
    } catch (error) {
      expect(error).toMatchObject({
        isInvalidLifecycleOptionError: true,
        option: 'drainDelayMs',
        value: -3,
      });
    }
  });

  it('fails the coordinator construction the same way', () => {
    expect(() => new LifecycleCoordinator({ phases: { gracefulMs: -1 } })).toThrow(
      'Invalid option phases.gracefulMs = -1',
    );
  });

  it('fills in the measured drain: drainDelayMs is the fixed case, drain: {} the defaults', () => {
    expect(resolveLifecycleOptions({ drainDelayMs: 700 }).drain).toEqual({
      minMs: 700,
      maxMs: 700,
      quietMs: 0,
    });
    expect(resolveLifecycleOptions({ drain: {} }).drain).toEqual({
      minMs: 0,
      maxMs: 10_000,
      quietMs: 1_000,
    });
    expect(resolveLifecycleOptions({ drain: { minMs: 20_000 } }).drain.maxMs).toBe(20_000);
  });

  it('warns when the longest drain and budgets do not fit in the grace period', () => {
    const resolved = resolveLifecycleOptions({ drainDelayMs: 5000, gracePeriodMs: 30_000 });
    expect(lifecycleOptionWarnings(resolved)).toEqual([
      'the longest drain + the phase budgets = 50000 ms, more than gracePeriodMs = 30000 ms: the orchestrator may kill the process before the shutdown ends',
    ]);
    expect(lifecycleOptionWarnings(resolveLifecycleOptions({ gracePeriodMs: 45_000 }))).toEqual([]);
    const logger = new RecordingLogger();
    new LifecycleCoordinator({ gracePeriodMs: 1000, logger });
    expect(logger.messages('warn')).toEqual([
      expect.stringContaining('more than gracePeriodMs = 1000 ms'),
    ]);
  });
});
