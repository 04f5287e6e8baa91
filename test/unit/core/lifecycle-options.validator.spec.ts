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
      drainDelayMs: 0,
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
    [{ http: 'yes' }, 'Invalid option http = "yes": expected a boolean or an object'],
    [{ http: { priority: 7 } }, 'Invalid option http.priority = 7: expected a TaskPriority'],
    [
      { http: { timeout: 1 } },
      'Unknown option http.timeout = 1; known options are: priority, requestTimeoutMs',
    ],
    [{ reportFile: '' }, 'Invalid option reportFile = "": expected a non-empty file path'],
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

  it('warns when the drain delay and budgets do not fit in the grace period', () => {
    const resolved = resolveLifecycleOptions({ drainDelayMs: 5000, gracePeriodMs: 30_000 });
    expect(lifecycleOptionWarnings(resolved)).toEqual([
      'drainDelayMs + phase budgets = 50000 ms, more than gracePeriodMs = 30000 ms: the orchestrator may kill the process before the shutdown ends',
    ]);
    expect(lifecycleOptionWarnings(resolveLifecycleOptions({ gracePeriodMs: 45_000 }))).toEqual([]);
    const logger = new RecordingLogger();
    new LifecycleCoordinator({ gracePeriodMs: 1000, logger });
    expect(logger.messages('warn')).toEqual([
      expect.stringContaining('more than gracePeriodMs = 1000 ms'),
    ]);
  });
});
