import { expect } from '@jest/globals';
import fc from 'fast-check';
import { CancelledError } from '../../../../lib/core/cancelled.error.js';
import { describeError } from '../../../../lib/core/describe.js';

function boom(what: string): never {
  throw new Error(`hostile ${what}`);
}

/** An Error whose every property a primitive might read is a getter that throws. */
export function throwingGetters(): Error {
  const error = new Error('x');
  // `stack` first: redefining it formats the lazy stack, which reads `name` and `message`.
  for (const key of ['stack', 'message', 'name', 'cause', 'isCancelledError', 'then']) {
    Object.defineProperty(error, key, { get: () => boom(`getter ${key}`), configurable: true });
  }
  return error;
}

/** A Proxy whose handler throws from every trap (get, has, getPrototypeOf, ownKeys …). */
export function throwingProxy(): object {
  const handler = new Proxy(
    {},
    {
      get: (_target, trap) => () => boom(`trap ${String(trap)}`),
    },
  );
  return new Proxy({}, handler);
}

/** A revoked Proxy: every operation on it, `instanceof` included, throws a TypeError. */
export function revokedProxy(): object {
  const { proxy, revoke } = Proxy.revocable({}, {});
  revoke();
  return proxy;
}

/** Two errors that are each other's cause. */
export function causeCycle(): Error {
  const a = new Error('a') as Error & { cause?: unknown };
  const b = new Error('b', { cause: a });
  a.cause = b;
  return a;
}

/** An ordinary error whose cause is a Proxy that throws from every trap. */
export function hostileCause(): Error {
  return new Error('outer', { cause: throwingProxy() });
}

/** An object whose only property, the cancellation brand, is a throwing getter. */
export function throwingBrand(): object {
  return Object.defineProperty({}, 'isCancelledError', { get: () => boom('brand') });
}

/**
 * Each hostile value's label and a factory making a fresh one. Factories, not values: Jest
 * formats the arguments of `it.each`, and formatting a hostile value throws.
 */
export const hostileValues: readonly (readonly [string, () => unknown])[] = [
  ['an error whose getters throw', throwingGetters],
  ['a Proxy whose traps throw', throwingProxy],
  ['a revoked Proxy', revokedProxy],
  ['a cause cycle', causeCycle],
  ['an error with a hostile cause', hostileCause],
  ['an object whose brand getter throws', throwingBrand],
  ['an object without prototype', () => Object.create(null) as object],
  ['a symbol', () => Symbol('thrown')],
  ['undefined', () => undefined],
];

/** The hostile values by name, for property tests that describe a value before making it. */
const HOSTILE_FACTORIES = {
  'throwing-getters': throwingGetters,
  'throwing-proxy': throwingProxy,
  'revoked-proxy': revokedProxy,
  'cause-cycle': causeCycle,
  'hostile-cause': hostileCause,
  'throwing-brand': throwingBrand,
} as const;

/** The cancellations a user's code may reject with, by name. */
const CANCELLATION_FACTORIES = {
  cancelled: () => new CancelledError('property: cancelled by the work itself'),
  'abort-error': () => new DOMException('property: aborted', 'AbortError'),
  'cancelled-cause': () => new Error('property: wrapped', { cause: new CancelledError() }),
} as const;

/**
 * What a piece of work throws, as printable data: fast-check prints a failing case, and printing
 * a hostile value throws. {@link makeThrown} makes the value itself.
 */
export type ThrownSpec =
  | { readonly kind: 'plain'; readonly value: unknown }
  | { readonly kind: keyof typeof HOSTILE_FACTORIES | keyof typeof CANCELLATION_FACTORIES };

/** Anything a user can throw or reject with: plain values, hostile ones, cancellations. */
export const thrownSpec: fc.Arbitrary<ThrownSpec> = fc.oneof(
  fc.anything({ maxDepth: 2 }).map((value) => ({ kind: 'plain' as const, value })),
  fc
    .constantFrom(
      ...(Object.keys(HOSTILE_FACTORIES) as (keyof typeof HOSTILE_FACTORIES)[]),
      ...(Object.keys(CANCELLATION_FACTORIES) as (keyof typeof CANCELLATION_FACTORIES)[]),
    )
    .map((kind) => ({ kind })),
);

/** A fresh value for `spec`. */
export function makeThrown(spec: ThrownSpec): unknown {
  if (spec.kind === 'plain') return spec.value;
  if (spec.kind in HOSTILE_FACTORIES) {
    return HOSTILE_FACTORIES[spec.kind as keyof typeof HOSTILE_FACTORIES]();
  }
  return CANCELLATION_FACTORIES[spec.kind as keyof typeof CANCELLATION_FACTORIES]();
}

/**
 * How `promise` stands once every queued reaction has run: a primitive that hangs reads
 * `pending` here instead of timing the test out. Counts microtask rounds, not time.
 */
export async function settledState(
  promise: Promise<unknown>,
  rounds = 200,
): Promise<
  | { state: 'resolved'; value: unknown }
  | { state: 'rejected'; reason: unknown }
  | { state: 'pending' }
> {
  let outcome:
    { state: 'resolved'; value: unknown } | { state: 'rejected'; reason: unknown } | undefined;
  promise.then(
    (value) => (outcome = { state: 'resolved', value }),
    (reason: unknown) => (outcome = { state: 'rejected', reason }),
  );
  for (let i = 0; i < rounds && outcome === undefined; i++) await Promise.resolve();
  return outcome ?? { state: 'pending' };
}

/**
 * `expect(actual).toBe(expected)` for hostile values: on a mismatch Jest would format both, and
 * formatting a hostile value throws; this compares identity and describes `actual` safely.
 */
export function expectSame(actual: unknown, expected: unknown): void {
  expect(
    Object.is(actual, expected) ? 'the very value' : `another value: ${describeError(actual)}`,
  ).toBe('the very value');
}
