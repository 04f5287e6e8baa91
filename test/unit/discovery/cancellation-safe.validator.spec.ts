import { describe, expect, it } from '@jest/globals';
import { validateCancellationSafe } from '../../../lib/discovery/cancellation-safe.validator.js';
import { InvalidLifecycleDeclarationError } from '../../../lib/discovery/invalid-declaration.error.js';
import { thrownBy } from '../../support/thrown.js';

class BaseService {
  release(): void {}
}

class LockService extends BaseService {
  readonly label = 'not a function';
  readonly relock = (): void => {};
  withLock(): void {}
  unlock(): void {}
  override toString(): string {
    return 'LockService';
  }
}

const site = { instance: new LockService(), className: 'LockService', methodName: 'withLock' };
const defaults = { cleanupTimeoutMs: 1234 };
const where = '@CancellationSafe() on LockService.withLock';
const budget = 'expected a finite number of milliseconds between 0 and 2147483647';

function validate(cleanup: unknown, options: object = {}) {
  return validateCancellationSafe({ cleanup, options }, site, defaults);
}

describe('validateCancellationSafe', () => {
  it("resolves the defaults: the module cleanup budget, on: 'cancel'", () => {
    expect(validate('unlock')).toEqual({
      where,
      cleanup: 'unlock',
      cleanupTimeoutMs: 1234,
      suppress: undefined,
      fallback: undefined,
      on: 'cancel',
    });
  });

  it('keeps every valid option and a cleanup function', () => {
    const cleanup = (): void => {};
    expect(validate(cleanup, { timeoutMs: 0, suppress: true, fallback: [], on: 'always' })).toEqual(
      { where, cleanup, cleanupTimeoutMs: 0, suppress: true, fallback: [], on: 'always' },
    );
  });

  it.each([
    ['a method of a base class', 'release'],
    ['an own function property', 'relock'],
    ['a method the class declares over an Object.prototype one', 'toString'],
  ])('accepts a cleanup naming %s', (_case, cleanup) => {
    expect(validate(cleanup).cleanup).toBe(cleanup);
  });

  it.each<[string, unknown, object, string]>([
    [
      'an unknown option',
      'unlock',
      { retries: 1 },
      'Unknown option retries = 1; known options are: timeoutMs, suppress, fallback, on',
    ],
    [
      'no cleanup',
      undefined,
      {},
      'Invalid option cleanup = undefined: expected a method name or a function',
    ],
    [
      'a cleanup of the wrong kind',
      5,
      {},
      'Invalid option cleanup = 5: expected a method name or a function',
    ],
    [
      'a cleanup naming a missing method',
      'nope',
      {},
      'cleanup "nope" is not a method of LockService',
    ],
    // These pass a typeof check, then fail (or do nothing useful) on every call.
    [
      'a cleanup naming the constructor',
      'constructor',
      {},
      'cleanup "constructor" is not a method of LockService',
    ],
    [
      'a cleanup naming an Object.prototype method',
      'hasOwnProperty',
      {},
      'cleanup "hasOwnProperty" is not a method of LockService',
    ],
    ['a cleanup naming valueOf', 'valueOf', {}, 'cleanup "valueOf" is not a method of LockService'],
    [
      'a cleanup naming a property that is not a function',
      'label',
      {},
      'cleanup "label" is not a method of LockService',
    ],
    ['timeoutMs negative', 'unlock', { timeoutMs: -1 }, `Invalid option timeoutMs = -1: ${budget}`],
    ['timeoutMs NaN', 'unlock', { timeoutMs: NaN }, `Invalid option timeoutMs = NaN: ${budget}`],
    [
      'timeoutMs a string',
      'unlock',
      { timeoutMs: '2s' },
      `Invalid option timeoutMs = "2s": ${budget}`,
    ],
    [
      'timeoutMs past the timer range',
      'unlock',
      { timeoutMs: 2 ** 31 },
      `Invalid option timeoutMs = 2147483648: ${budget}`,
    ],
    [
      'suppress not a boolean',
      'unlock',
      { suppress: 'yes' },
      'Invalid option suppress = "yes": expected a boolean',
    ],
    [
      "on not 'cancel', 'error' or 'always'",
      'unlock',
      { on: 'sometimes' },
      `Invalid option on = "sometimes": expected 'cancel', 'error' or 'always'`,
    ],
  ])('refuses %s', (_case, cleanup, options, problem) => {
    const error = thrownBy(() => validate(cleanup, options));
    expect(error).toBeInstanceOf(InvalidLifecycleDeclarationError);
    expect((error as Error).message).toBe(`${where}: ${problem}`);
  });
});
