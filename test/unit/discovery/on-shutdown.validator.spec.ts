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
const aName = 'expected a non-empty string of at most 200 characters, without control characters';

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
    ['an empty name', { name: '' }, `Invalid option name = "": ${aName}`],
    ['a name that is not a string', { name: false }, `Invalid option name = false: ${aName}`],
    ['a null name', { name: null }, `Invalid option name = null: ${aName}`],
    // A newline or an escape sequence in a name would forge log lines.
    [
      'a name with a newline',
      { name: 'db\nINFO forged' },
      `Invalid option name = "db\\nINFO forged": ${aName}`,
    ],
    [
      'a name with an ANSI escape',
      { name: 'db\u001b[2K' },
      `Invalid option name = "db\\u001b[2K": ${aName}`,
    ],
    [
      'a name with a line separator',
      { name: 'db\u2028' },
      `Invalid option name = "db\\u2028": ${aName}`,
    ],
    [
      'a name over 200 characters',
      { name: 'x'.repeat(201) },
      `Invalid option name = "${'x'.repeat(78)}…: ${aName}`,
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
      'a name of the generated form',
      { name: 'task#1' },
      'the name "task#1" has the form task#<number>, reserved for generated task names; choose another name',
    ],
    [
      'dependsOn a string',
      { dependsOn: 'metrics' },
      'Invalid option dependsOn = "metrics": expected an array (or iterable) of names',
    ],
    [
      'dependsOn with an empty name',
      { dependsOn: [''] },
      `Invalid option dependsOn[0] = "": ${aName}`,
    ],
    [
      'dependsOn with an ANSI escape',
      { dependsOn: ['ok', '\u001b[0m'] },
      `Invalid option dependsOn[1] = "\\u001b[0m": ${aName}`,
    ],
  ])('refuses %s', (_case, options, problem) => {
    const error = thrownBy(() => validate(options));
    expect(error).toBeInstanceOf(InvalidLifecycleDeclarationError);
    expect((error as Error).message).toBe(`${where}: ${problem}`);
  });
});
