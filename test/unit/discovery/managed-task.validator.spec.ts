import { describe, expect, it } from '@jest/globals';
import { InvalidLifecycleOptionError } from '../../../lib/core/invalid-option.error.js';
import { TaskPriority } from '../../../lib/core/task-priority.enum.js';
import { InvalidLifecycleDeclarationError } from '../../../lib/discovery/invalid-declaration.error.js';
import { validateManagedTask } from '../../../lib/discovery/managed-task.validator.js';
import { thrownBy } from '../../support/thrown.js';

class Worker {
  readonly label = 'not a function';
  loop(): void {}
  release(): void {}
}

const site = { instance: new Worker(), className: 'Worker', methodName: 'loop' };
const defaults = { cleanupTimeoutMs: 1234 };
const where = '@ManagedTask() on Worker.loop';
const budget = 'expected a finite number of milliseconds between 0 and 2147483647';
const priority = 'expected a TaskPriority (0 = CRITICAL … 4 = LOWEST)';
const aName = 'expected a non-empty string of at most 200 characters, without control characters';

function validate(options: object) {
  return validateManagedTask(options, site, defaults);
}

describe('validateManagedTask', () => {
  it('resolves the defaults: a bootstrap task named Class.method, NORMAL, the module cleanup budget', () => {
    expect(validate({})).toEqual({
      where,
      start: 'bootstrap',
      name: 'Worker.loop',
      priority: TaskPriority.NORMAL,
      dependsOn: [],
      cleanup: undefined,
      cleanupTimeoutMs: 1234,
      onError: undefined,
      stop: 'abort',
    });
  });

  it.each([
    [{}, 'abort'],
    [{ start: 'call' }, 'drain'],
    [{ start: 'call', stop: 'abort' }, 'abort'],
    [{ stop: 'drain' }, 'drain'],
  ])('stops %j in mode %s: a bootstrap loop aborts, a call drains', (options, stop) => {
    expect(validate(options).stop).toBe(stop);
  });

  it('keeps every valid option, dependsOn copied', () => {
    const onError = (): void => {};
    const cleanup = (): void => {};
    const dependsOn = ['db-pool'];
    const declaration = validate({
      name: 'poller',
      start: 'call',
      priority: TaskPriority.LOWEST,
      dependsOn,
      cleanup,
      cleanupTimeoutMs: 0,
      onError,
    });
    expect(declaration).toEqual({
      where,
      start: 'call',
      name: 'poller',
      priority: TaskPriority.LOWEST,
      dependsOn: ['db-pool'],
      cleanup,
      cleanupTimeoutMs: 0,
      onError,
      stop: 'drain',
    });
    expect(declaration.dependsOn).not.toBe(dependsOn);
  });

  it.each<[string, object]>([
    ["'task' for a bootstrap task", { name: 'task' }],
    [
      "the generated form for a start: 'call' task, whose calls are task#7#<n>",
      { name: 'task#7', start: 'call' },
    ],
    ["183 characters for a start: 'call' task", { name: 'x'.repeat(183), start: 'call' }],
    ['200 characters for a bootstrap task', { name: 'x'.repeat(200) }],
  ])('accepts the name %s', (_case, options) => {
    expect(validate(options).name).toBe((options as { name: string }).name);
  });

  it('accepts dependsOn as any iterable of names', () => {
    expect(validate({ dependsOn: new Set(['db', 'cache']) }).dependsOn).toEqual(['db', 'cache']);
  });

  it('refuses a default name the coordinator would refuse, naming the method', () => {
    const long = { ...site, methodName: 'm'.repeat(200) };
    const error = thrownBy(() => validateManagedTask({}, long, defaults));
    expect(error).toBeInstanceOf(InvalidLifecycleDeclarationError);
    expect((error as Error).message).toBe(
      `@ManagedTask() on Worker.${'m'.repeat(200)}: Invalid option name = "Worker.${'m'.repeat(71)}…: ${aName}`,
    );
  });

  it('accepts a cleanup given as the name of a method of the class', () => {
    expect(validate({ cleanup: 'release' }).cleanup).toBe('release');
  });

  it.each<[string, object, string]>([
    [
      'an unknown option',
      { retries: 3 },
      'Unknown option retries = 3; known options are: name, priority, dependsOn, cleanup, cleanupTimeoutMs, onError, start, stop',
    ],
    [
      'start not bootstrap or call',
      { start: 'later' },
      `Invalid option start = "later": expected 'bootstrap' or 'call'`,
    ],
    [
      'stop not abort or drain',
      { stop: 'now' },
      `Invalid option stop = "now": expected 'abort' or 'drain'`,
    ],
    ['an empty name', { name: '' }, `Invalid option name = "": ${aName}`],
    ['a name that is not a string', { name: 7 }, `Invalid option name = 7: ${aName}`],
    // A newline or an escape sequence in a name would forge log lines.
    [
      'a name with a newline',
      { name: 'poll\nINFO forged' },
      `Invalid option name = "poll\\nINFO forged": ${aName}`,
    ],
    [
      'a name with an ANSI escape',
      { name: '\u001b[31mpoll' },
      `Invalid option name = "\\u001b[31mpoll": ${aName}`,
    ],
    [
      'a name over 200 characters',
      { name: 'x'.repeat(201) },
      `Invalid option name = "${'x'.repeat(78)}…: ${aName}`,
    ],
    ['priority 9', { priority: 9 }, `Invalid option priority = 9: ${priority}`],
    ['priority -1', { priority: -1 }, `Invalid option priority = -1: ${priority}`],
    ['priority 1.5', { priority: 1.5 }, `Invalid option priority = 1.5: ${priority}`],
    ['priority by name', { priority: 'HIGH' }, `Invalid option priority = "HIGH": ${priority}`],
    ['priority null', { priority: null }, `Invalid option priority = null: ${priority}`],
    // The coordinator refuses explicit names of the form it generates, task#<number>.
    [
      'a name of the generated form',
      { name: 'task#7' },
      'the name "task#7" has the form task#<number>, reserved for generated task names; choose another name',
    ],
    [
      "the name 'task' for a start: 'call' task",
      { name: 'task', start: 'call' },
      'the name "task" would name its calls "task#<n>", the form reserved for generated task names; choose another name',
    ],
    [
      "a start: 'call' name too long for its calls' names",
      { name: 'x'.repeat(184), start: 'call' },
      `Invalid option name = "${'x'.repeat(78)}…: expected at most 183 characters for a start: 'call' task, whose calls are named <name>#<n>`,
    ],
    [
      'dependsOn a string',
      { dependsOn: 'db' },
      'Invalid option dependsOn = "db": expected an array (or iterable) of names',
    ],
    [
      'dependsOn a number',
      { dependsOn: 5 },
      'Invalid option dependsOn = 5: expected an array (or iterable) of names',
    ],
    [
      'dependsOn with an empty name',
      { dependsOn: ['db', ''] },
      `Invalid option dependsOn[1] = "": ${aName}`,
    ],
    ['dependsOn with a number', { dependsOn: [1] }, `Invalid option dependsOn[0] = 1: ${aName}`],
    [
      'dependsOn with a newline',
      { dependsOn: ['db\n'] },
      `Invalid option dependsOn[0] = "db\\n": ${aName}`,
    ],
    [
      'cleanupTimeoutMs negative',
      { cleanupTimeoutMs: -1 },
      `Invalid option cleanupTimeoutMs = -1: ${budget}`,
    ],
    [
      'cleanupTimeoutMs NaN',
      { cleanupTimeoutMs: NaN },
      `Invalid option cleanupTimeoutMs = NaN: ${budget}`,
    ],
    [
      'cleanupTimeoutMs Infinity',
      { cleanupTimeoutMs: Infinity },
      `Invalid option cleanupTimeoutMs = Infinity: ${budget}`,
    ],
    [
      'cleanupTimeoutMs past the timer range',
      { cleanupTimeoutMs: 2 ** 31 },
      `Invalid option cleanupTimeoutMs = 2147483648: ${budget}`,
    ],
    [
      'cleanupTimeoutMs a string',
      { cleanupTimeoutMs: '5s' },
      `Invalid option cleanupTimeoutMs = "5s": ${budget}`,
    ],
    [
      'onError not a function',
      { onError: 'log' },
      'Invalid option onError = "log": expected a function',
    ],
    [
      'cleanup not a string or function',
      { cleanup: 5 },
      'Invalid option cleanup = 5: expected a method name or a function',
    ],
    // These pass a typeof check, then fail (or do nothing useful) on every call.
    [
      'cleanup naming the constructor',
      { cleanup: 'constructor' },
      'cleanup "constructor" is not a method of Worker',
    ],
    [
      'cleanup naming an Object.prototype method',
      { cleanup: 'toString' },
      'cleanup "toString" is not a method of Worker',
    ],
    [
      'cleanup naming a missing method',
      { cleanup: 'missing' },
      'cleanup "missing" is not a method of Worker',
    ],
    [
      'cleanup naming a property that is not a function',
      { cleanup: 'label' },
      'cleanup "label" is not a method of Worker',
    ],
  ])('refuses %s', (_case, options, problem) => {
    const error = thrownBy(() => validate(options));
    expect(error).toBeInstanceOf(InvalidLifecycleDeclarationError);
    expect((error as Error).message).toBe(`${where}: ${problem}`);
  });

  it('keeps the shared check’s error as the cause', () => {
    const error = thrownBy(() => validate({ priority: 9 }));
    expect((error as Error).cause).toBeInstanceOf(InvalidLifecycleOptionError);
  });
});
