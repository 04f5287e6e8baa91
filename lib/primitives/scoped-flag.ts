import { describeValue } from '../core/describe.js';

interface FlagHolders {
  /** `process.env[name]` before the first holder entered; `undefined` when it was unset. */
  readonly previous: string | undefined;
  /** The calls inside, in the order they entered; the latest one's value is in effect. */
  readonly values: { readonly value: string }[];
}

const held = new Map<string, FlagHolders>();

function assertFlagName(name: unknown): asserts name is string {
  // The names the OS cannot store: `setenv` rejects '=' and empty names, C strings end at NUL.
  if (typeof name !== 'string' || name === '' || name.includes('=') || name.includes('\0')) {
    throw new TypeError(
      `Invalid flag name ${describeValue(name)}: expected a non-empty string without "=" or NUL characters`,
    );
  }
}

function assertFlagValue(name: string, value: unknown): asserts value is string {
  if (typeof value !== 'string' || value.includes('\0')) {
    throw new TypeError(
      `Invalid value ${describeValue(value)} for flag "${name}": expected a string without NUL characters`,
    );
  }
}

function enter(name: string, value: string): { readonly value: string } {
  const holder = { value };
  let holders = held.get(name);
  if (holders === undefined) {
    holders = { previous: process.env[name], values: [] };
    held.set(name, holders);
  }
  holders.values.push(holder);
  process.env[name] = value;
  return holder;
}

function leave(name: string, holder: { readonly value: string }): void {
  const holders = held.get(name);
  if (holders === undefined) return;
  holders.values.splice(holders.values.indexOf(holder), 1);
  const latest = holders.values.at(-1);
  if (latest !== undefined) {
    // Another call is still inside: the flag stays set, with the value of the latest one.
    process.env[name] = latest.value;
    return;
  }
  held.delete(name);
  if (holders.previous === undefined) delete process.env[name];
  else process.env[name] = holders.previous;
}

/**
 * Runs `fn` with the process-level flag `process.env[name]` set to `value`, so other modules and
 * child processes started meanwhile see it; restores what was there before (or deletes it) when
 * `fn` settles — resolved, rejected, cancelled or thrown synchronously — and passes the outcome
 * through unchanged, cancellations included. Overlapping calls with the same name are counted:
 * the flag stays set until the last of them leaves, then the value from before the first one is
 * restored. A name that the environment cannot hold (empty, containing `=` or NUL) rejects with a
 * `TypeError` naming it.
 *
 * @example
 * // migrations spawn workers; they must not start the scheduler while the schema changes
 * await withFlag('APP_MIGRATING', () => runMigrations(dataSource));
 *
 * // in the scheduler, possibly in a child process
 * if (isFlagSet('APP_MIGRATING')) return;
 */
export async function withFlag<T>(name: string, fn: () => Promise<T>, value = '1'): Promise<T> {
  assertFlagName(name);
  assertFlagValue(name, value);
  const holder = enter(name, value);
  try {
    return await fn();
  } finally {
    leave(name, holder);
  }
}

/**
 * Whether the flag `name` is set: by a {@link withFlag} call in progress, or by the environment
 * (`process.env[name] !== undefined`, whatever its value, `''` and `'0'` included). Throws a
 * `TypeError` for a name the environment cannot hold.
 *
 * @example
 * if (isFlagSet('APP_MIGRATING')) {
 *   logger.log('migration in progress: the scheduler stays idle');
 *   return;
 * }
 */
export function isFlagSet(name: string): boolean {
  assertFlagName(name);
  return process.env[name] !== undefined;
}
