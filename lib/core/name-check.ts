import { InvalidLifecycleOptionError } from './invalid-option.error.js';

/** Longest name a task or hook may have: it is shown in one column of logs and timelines. */
export const MAX_NAME_LENGTH = 200;

// Control characters and line separators would forge log lines and break the timeline.
// eslint-disable-next-line no-control-regex
const FORBIDDEN = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

const EXPECTED_NAME = `a non-empty string of at most ${MAX_NAME_LENGTH} characters, without control characters`;

/**
 * A task or hook name: a non-empty string of at most 200 characters, without control characters
 * (a newline or an ANSI escape in a name would forge log lines). Throws an
 * `InvalidLifecycleOptionError` naming `path` and the value.
 *
 * @example
 * checkTaskName('name', 'order-consumer'); // 'order-consumer'
 * checkTaskName('name', 'evil\nINFO'); // throws: Invalid option name = "evil\nINFO": …
 */
export function checkTaskName(path: string, value: unknown): string {
  if (
    typeof value !== 'string' ||
    value.length === 0 ||
    value.length > MAX_NAME_LENGTH ||
    FORBIDDEN.test(value)
  ) {
    throw InvalidLifecycleOptionError.invalid(path, value, EXPECTED_NAME);
  }
  return value;
}

/**
 * A list of names (`dependsOn`): any iterable of valid names, returned as a fresh array;
 * `undefined` is an empty list.
 *
 * @example
 * checkTaskNames('dependsOn', new Set(['db-pool'])); // ['db-pool']
 */
export function checkTaskNames(path: string, value: unknown): string[] {
  if (value === undefined) return [];
  if (
    typeof value === 'string' ||
    typeof value !== 'object' ||
    value === null ||
    typeof (value as Iterable<unknown>)[Symbol.iterator] !== 'function'
  ) {
    throw InvalidLifecycleOptionError.invalid(path, value, 'an array (or iterable) of names');
  }
  // Read once: a generator cannot be walked twice.
  const names = [...(value as Iterable<unknown>)];
  names.forEach((name, index) => checkTaskName(`${path}[${index}]`, name));
  return names as string[];
}
