import { describe, expect, it } from '@jest/globals';
import { TaskPriority } from '../../../lib/core/task-priority.enum.js';
import { InvalidLifecycleDeclarationError } from '../../../lib/discovery/invalid-declaration.error.js';
import { validateOnShutdown } from '../../../lib/discovery/on-shutdown.validator.js';
import { thrownBy } from '../../support/thrown.js';

class Pool {
  close(): void {}
}

const site = { instance: new Pool(), className: 'Pool', methodName: 'close' };
const defaults = { cleanupTimeoutMs: 1234 };
const where = '@OnShutdown() on Pool.close';
const budget = 'expected a finite number of milliseconds between 0 and 2147483647';
const priority = 'expected a TaskPriority (0 = CRITICAL … 4 = LOWEST)';

function validate(options: object) {
  return validateOnShutdown(options, site, defaults);
}

describe('validateOnShutdown', () => {
  it('resolves the defaults: named Class.method, NORMAL, the module cleanup budget', () => {
    expect(validate({})).toEqual({
      where,
      name: 'Pool.close',
      priority: TaskPriority.NORMAL,
      dependsOn: [],
      timeoutMs: 1234,
    });
  });

  it('keeps every valid option', () => {
    expect(
      validate({
        name: 'db-pool',
        priority: TaskPriority.CRITICAL,
        dependsOn: ['metrics'],
        timeoutMs: 0,
      }),
    ).toEqual({
      where,
      name: 'db-pool',
      priority: TaskPriority.CRITICAL,
      dependsOn: ['metrics'],
      timeoutMs: 0,
    });
  });

  it.each<[string, object, string]>([
    [
      'an unknown option',
      { after: 'db' },
      'Unknown option after = "db"; known options are: priority, dependsOn, name, timeoutMs',
    ],
    ['an empty name', { name: '' }, 'Invalid option name = "": expected a non-empty string'],
    [
      'a name that is not a string',
      { name: false },
      'Invalid option name = false: expected a non-empty string',
    ],
    ['priority 9', { priority: 9 }, `Invalid option priority = 9: ${priority}`],
    ['priority by name', { priority: 'LOW' }, `Invalid option priority = "LOW": ${priority}`],
    ['timeoutMs negative', { timeoutMs: -1 }, `Invalid option timeoutMs = -1: ${budget}`],
    ['timeoutMs NaN', { timeoutMs: NaN }, `Invalid option timeoutMs = NaN: ${budget}`],
    ['timeoutMs a string', { timeoutMs: '3s' }, `Invalid option timeoutMs = "3s": ${budget}`],
    [
      'timeoutMs past the timer range',
      { timeoutMs: 2 ** 31 },
      `Invalid option timeoutMs = 2147483648: ${budget}`,
    ],
    [
      'dependsOn a string',
      { dependsOn: 'metrics' },
      'Invalid option dependsOn = "metrics": expected an array of task or hook names',
    ],
    [
      'dependsOn with an empty name',
      { dependsOn: [''] },
      'Invalid option dependsOn = [""]: expected an array of task or hook names',
    ],
  ])('refuses %s', (_case, options, problem) => {
    const error = thrownBy(() => validate(options));
    expect(error).toBeInstanceOf(InvalidLifecycleDeclarationError);
    expect((error as Error).message).toBe(`${where}: ${problem}`);
  });
});
