import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import fc from 'fast-check';
import { getEventListeners } from 'node:events';
import { isCancellation } from '../../../lib/core/cancellation.js';
import { CancelledError } from '../../../lib/core/cancelled.error.js';
import { describeError } from '../../../lib/core/describe.js';
import { cancellationSafe, type CleanupWhen } from '../../../lib/primitives/cancellation-safe.js';
import { gatherSafe } from '../../../lib/primitives/gather-safe.js';
import { LifecycleCircuitBreaker } from '../../../lib/primitives/resilience/lifecycle-circuit-breaker.js';
import { LifecycleRetry } from '../../../lib/primitives/resilience/lifecycle-retry.js';
import { shieldedWaitFor } from '../../../lib/primitives/shielded-wait-for.js';
import { TaskGroup } from '../../../lib/primitives/task-group.js';
import { waitForSafe } from '../../../lib/primitives/wait-for-safe.js';
import { makeThrown, thrownSpec, type ThrownSpec } from './support/hostile-values.js';

/*
 * Property-based tests of the primitives under anything user code can throw: plain values,
 * hostile ones (throwing getters, Proxies whose traps throw, revoked Proxies, cause cycles) and
 * cancellations, from operations and from cleanups, with or without a cancellation from outside.
 *
 * Each run starts one primitive on generated operations and a generated cleanup, advances fake
 * time past every deadline, and checks: it settled; it settled with what a small model of its
 * contract expects (when no two events share an instant) — a cancellation it does not own is
 * rethrown, never swallowed; every cleanup ran exactly as often as that contract says; when it
 * settled no timer of its own was pending; at the end no timer and no listener on the outer
 * signal is left; and no rejection went unhandled (the run ends on a real macrotask turn, and
 * the suite runs with --unhandled-rejections=strict).
 */

// Captured before any fake timer is installed: each run ends on a real macrotask turn, where an
// unhandled rejection of that run surfaces.
const realSetImmediate = setImmediate;

/** Past every generated delay, deadline and late failure. */
const HORIZON_MS = 10_000;
const RUNS = 300;
const TEST_TIMEOUT_MS = 60_000;

const FALLBACK = Symbol('fallback');
const BODY_RESULT = Symbol('body result');
const GATHERED = Symbol('gathered');
/** In a model: the run's outer abort reason. */
const OUTER_ABORT = Symbol('outer abort');
/** In a model: what an obeying operation rejects with when given nothing, its signal's reason. */
const OWN_REASON = Symbol("its signal's reason");

// ---------------------------------------------------------------------------------------------
// Scenarios

/** What one operation does, from its start. */
type OpSpec =
  | { readonly kind: 'resolve'; readonly ms: number }
  | { readonly kind: 'reject'; readonly ms: number; readonly thrown: ThrownSpec }
  | { readonly kind: 'throw'; readonly thrown: ThrownSpec }
  /** Settles only when its signal aborts: rejecting with the reason, or with `thrown`. */
  | { readonly kind: 'obey'; readonly thrown: ThrownSpec | null };

type CleanupSpec =
  | { readonly kind: 'sync' }
  | { readonly kind: 'throw'; readonly thrown: ThrownSpec }
  /** Settles after `ms`, possibly past its deadline (a late failure). */
  | { readonly kind: 'resolve'; readonly ms: number }
  | { readonly kind: 'reject'; readonly ms: number; readonly thrown: ThrownSpec }
  /** Returns a value whose `then` cannot be read. */
  | { readonly kind: 'hostile-return' };

type ReporterSpec = 'warning' | 'recorder' | 'throws';

interface Scenario {
  readonly ops: readonly OpSpec[];
  readonly cleanup: CleanupSpec;
  readonly reporter: ReporterSpec;
  readonly cleanupTimeoutMs: number;
  readonly timeoutMs: number;
  /** When the outer signal aborts, from the start; null: never. */
  readonly abortAtMs: number | null;
  readonly useFallback: boolean;
  readonly returnErrors: boolean;
  readonly suppress: boolean;
  readonly on: CleanupWhen;
}

const ms = fc.integer({ min: 1, max: 300 });

const opSpec: fc.Arbitrary<OpSpec> = fc.oneof(
  fc.record({ kind: fc.constant('resolve' as const), ms }),
  fc.record({ kind: fc.constant('reject' as const), ms, thrown: thrownSpec }),
  fc.record({ kind: fc.constant('throw' as const), thrown: thrownSpec }),
  fc.record({ kind: fc.constant('obey' as const), thrown: fc.option(thrownSpec) }),
);

const cleanupSpec: fc.Arbitrary<CleanupSpec> = fc.oneof(
  fc.constant({ kind: 'sync' as const }),
  fc.record({ kind: fc.constant('throw' as const), thrown: thrownSpec }),
  fc.record({ kind: fc.constant('resolve' as const), ms: fc.integer({ min: 1, max: 500 }) }),
  fc.record({
    kind: fc.constant('reject' as const),
    ms: fc.integer({ min: 1, max: 500 }),
    thrown: thrownSpec,
  }),
  fc.constant({ kind: 'hostile-return' as const }),
);

function scenarioArb(maxOps: number, needsEnd: boolean): fc.Arbitrary<Scenario> {
  return fc
    .record({
      ops: fc.array(opSpec, { minLength: 1, maxLength: maxOps }),
      cleanup: cleanupSpec,
      reporter: fc.constantFrom<ReporterSpec>('warning', 'recorder', 'throws'),
      cleanupTimeoutMs: fc.integer({ min: 1, max: 200 }),
      timeoutMs: fc.integer({ min: 1, max: 400 }),
      abortAtMs: fc.option(fc.integer({ min: 1, max: 400 })),
      useFallback: fc.boolean(),
      returnErrors: fc.boolean(),
      suppress: fc.boolean(),
      on: fc.constantFrom<CleanupWhen>('cancel', 'error', 'always'),
    })
    .map((s) =>
      // Without a deadline or a cancellation from outside, an operation that only obeys its
      // signal never ends, and neither does a primitive that waits for it: that is its contract.
      needsEnd && s.abortAtMs === null
        ? {
            ...s,
            ops: s.ops.map((op): OpSpec => (op.kind === 'obey' ? { kind: 'resolve', ms: 1 } : op)),
          }
        : s,
    );
}

// ---------------------------------------------------------------------------------------------
// One run

/** What a model of the primitive's contract says it settles with. */
type Expected =
  | { readonly settles: 'resolve'; readonly value: unknown; readonly cleanups?: number }
  | {
      readonly settles: 'reject';
      readonly reason: unknown;
      readonly label: string;
      readonly cleanups?: number;
    }
  | { readonly settles: 'reject-timeout'; readonly cleanups?: number }
  | { readonly settles: 'reject-group'; readonly errors: readonly unknown[] }
  /** No model (the retry's jitter), or two events share an instant: the invariants only. */
  | { readonly settles: 'any' };

type Outcome =
  | { readonly state: 'resolved'; readonly value: unknown }
  | { readonly state: 'rejected'; readonly reason: unknown };

function fail(message: string): never {
  throw new Error(message);
}

function readBrand(value: unknown, brand: string): boolean {
  try {
    return (
      typeof value === 'object' &&
      value !== null &&
      (value as Record<string, unknown>)[brand] === true
    );
  } catch {
    return false;
  }
}

function sameMembers(actual: readonly unknown[], expected: readonly unknown[]): boolean {
  if (actual.length !== expected.length) return false;
  const left = [...expected];
  for (const value of actual) {
    const index = left.findIndex((candidate) => Object.is(candidate, value));
    if (index < 0) return false;
    left.splice(index, 1);
  }
  return true;
}

class Run {
  readonly outer = new AbortController();
  readonly abortReason = new CancelledError('property: cancelled from outside');
  /** Every value that may legitimately surface: thrown values, results, the abort reason. */
  readonly known: unknown[] = [this.abortReason, FALLBACK, BODY_RESULT, GATHERED];
  /** Timers the scenario itself owns (operations, cleanups, the outer abort) still pending. */
  pending = 0;
  cleanupCalls = 0;
  readonly reported: unknown[] = [];

  constructor(readonly scenario: Scenario) {}

  later(delayMs: number, fn: () => void): void {
    this.pending++;
    setTimeout(() => {
      this.pending--;
      fn();
    }, delayMs);
  }

  thrown(spec: ThrownSpec): unknown {
    const value = makeThrown(spec);
    this.known.push(value);
    return value;
  }

  /** The operation for `spec`, with its result or failure made now, for the model to see. */
  op(spec: OpSpec, index: number): { fn: (signal: AbortSignal) => unknown; value: unknown } {
    let value: unknown;
    if (spec.kind === 'resolve') {
      value = { result: index };
      this.known.push(value);
    } else {
      value = spec.thrown === null ? OWN_REASON : this.thrown(spec.thrown);
    }
    const fn = (signal: AbortSignal): unknown => {
      switch (spec.kind) {
        case 'resolve':
          return new Promise((resolve) => this.later(spec.ms, () => resolve(value)));
        case 'reject':
          return new Promise((_, reject) => this.later(spec.ms, () => reject(value)));
        case 'throw':
          throw value;
        case 'obey':
          return new Promise((_, reject) => {
            const onAbort = (): void => reject(spec.thrown === null ? signal.reason : value);
            if (signal.aborted) onAbort();
            else signal.addEventListener('abort', onAbort, { once: true });
          });
      }
    };
    return { fn, value };
  }

  cleanup(): () => unknown {
    const spec = this.scenario.cleanup;
    // Not among the known values: a cleanup's failure must never become the outcome.
    const value =
      spec.kind === 'throw' || spec.kind === 'reject' ? makeThrown(spec.thrown) : undefined;
    return () => {
      this.cleanupCalls++;
      switch (spec.kind) {
        case 'sync':
          return undefined;
        case 'throw':
          throw value;
        case 'resolve':
          return new Promise<void>((resolve) => this.later(spec.ms, resolve));
        case 'reject':
          return new Promise((_, reject) => this.later(spec.ms, () => reject(value)));
        case 'hostile-return': {
          const { proxy, revoke } = Proxy.revocable({}, {});
          revoke();
          return proxy;
        }
      }
    };
  }

  cleanupOptions(): {
    cleanup: () => unknown;
    cleanupTimeoutMs: number;
    onCleanupError?: (error: unknown) => unknown;
  } {
    const options = { cleanup: this.cleanup(), cleanupTimeoutMs: this.scenario.cleanupTimeoutMs };
    switch (this.scenario.reporter) {
      case 'warning':
        return options;
      case 'recorder':
        return { ...options, onCleanupError: (error: unknown) => this.reported.push(error) };
      case 'throws':
        return {
          ...options,
          onCleanupError: () => {
            throw new Error('property: the logger is closed');
          },
        };
    }
  }

  /**
   * Starts `start`, aborts the outer signal when the scenario says, advances fake time past
   * everything and checks what every primitive promises.
   */
  async check(start: () => Promise<unknown>, expected: Expected, cleanups: boolean): Promise<void> {
    let outcome: Outcome | undefined;
    let timersAtSettle = -1;
    let pendingAtSettle = -1;
    const settled = (result: Outcome): void => {
      outcome = result;
      timersAtSettle = jest.getTimerCount();
      pendingAtSettle = this.pending;
    };
    start().then(
      (value) => settled({ state: 'resolved', value }),
      (reason: unknown) => settled({ state: 'rejected', reason }),
    );
    const abortAt = this.scenario.abortAtMs;
    if (abortAt !== null) this.later(abortAt, () => this.outer.abort(this.abortReason));
    await jest.advanceTimersByTimeAsync(HORIZON_MS);

    if (outcome === undefined) fail('it never settled');
    if (timersAtSettle !== pendingAtSettle) {
      fail(`it settled with ${timersAtSettle - pendingAtSettle} timer(s) of its own pending`);
    }
    this.checkLegitimate(outcome);
    this.checkExpected(outcome, expected);
    if (cleanups && this.cleanupCalls > 1) fail(`the cleanup ran ${this.cleanupCalls} times`);
    if (jest.getTimerCount() !== 0) fail(`${jest.getTimerCount()} timer(s) left behind`);
    const listeners = getEventListeners(this.outer.signal, 'abort').length;
    if (listeners !== 0) fail(`${listeners} listener(s) left on the outer signal`);
    await new Promise<void>((resolve) => realSetImmediate(resolve));
  }

  /** It settles with a value the scenario made, or one of the primitive's own typed errors. */
  private checkLegitimate(outcome: Outcome): void {
    const value = outcome.state === 'resolved' ? outcome.value : outcome.reason;
    if (this.known.some((known) => Object.is(known, value))) return;
    if (outcome.state === 'rejected') {
      if (readBrand(value, 'isTimeoutError') || readBrand(value, 'isBrokenCircuitError')) return;
      if (readBrand(value, 'isTaskGroupError')) {
        const errors = (value as { errors: readonly unknown[] }).errors;
        if (errors.every((error) => this.known.some((known) => Object.is(known, error)))) return;
      }
    }
    fail(`it ${outcome.state} with a value nobody made: ${describeError(value)}`);
  }

  private checkExpected(outcome: Outcome, expected: Expected): void {
    if (expected.settles === 'any') return;
    const got = `${outcome.state} with ${describeError(outcome.state === 'resolved' ? outcome.value : outcome.reason)}`;
    switch (expected.settles) {
      case 'resolve':
        if (outcome.state !== 'resolved' || !Object.is(outcome.value, expected.value)) {
          fail(`expected it to resolve with ${describeError(expected.value)}; ${got}`);
        }
        break;
      case 'reject':
        if (outcome.state !== 'rejected' || !Object.is(outcome.reason, expected.reason)) {
          fail(`expected it to reject with ${expected.label}; ${got}`);
        }
        break;
      case 'reject-timeout':
        if (outcome.state !== 'rejected' || !readBrand(outcome.reason, 'isTimeoutError')) {
          fail(`expected a TimeoutError; ${got}`);
        }
        break;
      case 'reject-group':
        if (
          outcome.state !== 'rejected' ||
          !readBrand(outcome.reason, 'isTaskGroupError') ||
          !sameMembers((outcome.reason as { errors: readonly unknown[] }).errors, expected.errors)
        ) {
          fail(`expected a TaskGroupError of ${expected.errors.length} failure(s); ${got}`);
        }
        break;
    }
    if (
      'cleanups' in expected &&
      expected.cleanups !== undefined &&
      this.cleanupCalls !== expected.cleanups
    ) {
      fail(`expected the cleanup to run ${expected.cleanups} time(s); it ran ${this.cleanupCalls}`);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Models: what each primitive settles with, from the instants at which things happen

/** When an operation settles by itself; `Infinity` for one that only obeys its signal. */
function settlesAt(op: OpSpec): number {
  if (op.kind === 'throw') return 0;
  if (op.kind === 'obey') return Infinity;
  return op.ms;
}

/** Whether the earliest of `times` is shared by two of them (fake timers then decide by order). */
function tie(...times: number[]): boolean {
  const finite = times.filter((time) => Number.isFinite(time));
  if (finite.length === 0) return false;
  const first = Math.min(...finite);
  return finite.filter((time) => time === first).length > 1;
}

function waitForSafeModel(s: Scenario, value: unknown): Expected {
  const op = s.ops[0];
  const opAt = settlesAt(op);
  const abortAt = s.abortAtMs ?? Infinity;
  if (tie(opAt, s.timeoutMs, abortAt)) return { settles: 'any' };
  if (abortAt < Math.min(opAt, s.timeoutMs)) {
    return { settles: 'reject', reason: OUTER_ABORT, label: 'the outer abort reason', cleanups: 1 };
  }
  if (s.timeoutMs < opAt) {
    return s.useFallback
      ? { settles: 'resolve', value: FALLBACK, cleanups: 1 }
      : { settles: 'reject-timeout', cleanups: 1 };
  }
  if (op.kind === 'resolve') return { settles: 'resolve', value, cleanups: 0 };
  if (isCancellation(value)) {
    return { settles: 'reject', reason: value, label: "the operation's cancellation", cleanups: 1 };
  }
  return s.useFallback
    ? { settles: 'resolve', value: FALLBACK, cleanups: 1 }
    : { settles: 'reject', reason: value, label: "the operation's failure", cleanups: 1 };
}

function cancellationSafeModel(s: Scenario, value: unknown): Expected {
  const op = s.ops[0];
  const opAt = settlesAt(op);
  const abortAt = s.abortAtMs ?? Infinity;
  if (tie(opAt, abortAt)) return { settles: 'any' };
  const cancelled = (reason: unknown, label: string): Expected =>
    s.suppress
      ? { settles: 'resolve', value: FALLBACK, cleanups: 1 }
      : { settles: 'reject', reason, label, cleanups: 1 };
  if (abortAt < opAt) return cancelled(OUTER_ABORT, 'the outer abort reason');
  if (op.kind === 'resolve')
    return { settles: 'resolve', value, cleanups: s.on === 'always' ? 1 : 0 };
  if (isCancellation(value)) return cancelled(value, "the operation's cancellation");
  return {
    settles: 'reject',
    reason: value,
    label: "the operation's failure",
    cleanups: s.on === 'cancel' ? 0 : 1,
  };
}

function shieldedWaitForModel(s: Scenario, value: unknown): Expected {
  const op = s.ops[0];
  const opAt = settlesAt(op);
  if (tie(opAt, s.timeoutMs)) return { settles: 'any' };
  if (s.timeoutMs < opAt) return { settles: 'reject-timeout' };
  return op.kind === 'resolve'
    ? { settles: 'resolve', value }
    : { settles: 'reject', reason: value, label: "the work's failure" };
}

interface Settled {
  readonly index: number;
  readonly at: number;
  readonly failed: boolean;
  readonly value: unknown;
}

/**
 * Replays the operations of a gather or a group in time order: `onFailure` sees each failure
 * while the group is not yet aborted and says whether it aborts it. Returns when all ended and
 * whether the outer abort came before that; `undefined` when two events share an instant.
 */
function replay(
  s: Scenario,
  values: readonly unknown[],
  onRejection: (value: unknown, aborted: boolean) => boolean,
): { outerFirst: boolean } | undefined {
  const events: Settled[] = s.ops
    .map((op, index) => ({
      index,
      at: settlesAt(op),
      failed: op.kind !== 'resolve',
      value: values[index],
    }))
    .filter((event) => Number.isFinite(event.at))
    .sort((a, b) => a.at - b.at || a.index - b.index);
  const timerTimes = events.filter((event) => event.at > 0).map((event) => event.at);
  const abortAt = s.abortAtMs ?? Infinity;
  if (new Set(timerTimes).size !== timerTimes.length || timerTimes.includes(abortAt))
    return undefined;
  let abortedAt = Infinity;
  const abortNow = (at: number): void => {
    if (abortedAt !== Infinity) return;
    abortedAt = at;
    // Every obeying operation rejects at that instant, in the order it started.
    s.ops.forEach((op, index) => {
      if (op.kind === 'obey') onRejection(values[index], true);
    });
  };
  for (const event of events) {
    if (abortAt < event.at) abortNow(abortAt);
    if (!event.failed) continue;
    if (onRejection(event.value, abortedAt !== Infinity)) abortNow(event.at);
  }
  if (abortAt !== Infinity) abortNow(abortAt);
  const obeys = s.ops.some((op) => op.kind === 'obey');
  // The primitive looks at the outer signal once every operation ended.
  const lastAt = Math.max(0, ...events.map((event) => event.at), obeys ? abortedAt : 0);
  return { outerFirst: abortAt <= lastAt };
}

function gatherSafeModel(s: Scenario, values: readonly unknown[]): Expected {
  let failure: { value: unknown } | undefined;
  const replayed = replay(s, values, (value, aborted) => {
    // Once aborted, a rejection follows from that abort: not a failure of its own.
    if (aborted || failure !== undefined) return false;
    if (s.returnErrors && !isCancellation(value)) return false;
    failure = { value };
    return true;
  });
  if (replayed === undefined) return { settles: 'any' };
  if (replayed.outerFirst) {
    return { settles: 'reject', reason: OUTER_ABORT, label: 'the outer abort reason', cleanups: 1 };
  }
  if (failure !== undefined) {
    return { settles: 'reject', reason: failure.value, label: 'the first failure', cleanups: 1 };
  }
  return { settles: 'resolve', value: GATHERED, cleanups: 0 };
}

function taskGroupModel(s: Scenario, values: readonly unknown[]): Expected {
  let foreign: { value: unknown } | undefined;
  const failures: unknown[] = [];
  const replayed = replay(s, values, (value, aborted) => {
    // The group's abort reason is always a cancellation: the group caused it, or it came in.
    if (value === OWN_REASON) return false;
    if (isCancellation(value)) {
      if (aborted) return false;
      foreign = { value };
      return true;
    }
    failures.push(value);
    return !aborted;
  });
  if (replayed === undefined) return { settles: 'any' };
  if (replayed.outerFirst) {
    return { settles: 'reject', reason: OUTER_ABORT, label: 'the outer abort reason' };
  }
  if (foreign !== undefined) {
    return { settles: 'reject', reason: foreign.value, label: 'the cancellation a task threw' };
  }
  if (failures.length > 0) return { settles: 'reject-group', errors: failures };
  return { settles: 'resolve', value: BODY_RESULT };
}

// ---------------------------------------------------------------------------------------------

describe('primitives — properties under anything user code throws', () => {
  let warn: jest.SpiedFunction<typeof process.emitWarning>;

  beforeEach(() => {
    jest.useFakeTimers({ doNotFake: ['nextTick', 'queueMicrotask'] });
    warn = jest.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
  });

  afterEach(() => {
    warn.mockRestore();
  });

  /** Resolves the model's placeholder for the run's abort reason. */
  function resolveExpected(run: Run, expected: Expected): Expected {
    if (expected.settles === 'reject' && expected.reason === OUTER_ABORT) {
      return { ...expected, reason: run.abortReason };
    }
    return expected;
  }

  it(
    'waitForSafe',
    async () => {
      await fc.assert(
        fc.asyncProperty(scenarioArb(1, false), async (s) => {
          const run = new Run(s);
          const { fn, value } = run.op(s.ops[0], 0);
          const options = {
            ...run.cleanupOptions(),
            timeoutMs: s.timeoutMs,
            signal: run.outer.signal,
          };
          await run.check(
            () =>
              s.useFallback
                ? waitForSafe(fn, { ...options, fallback: FALLBACK })
                : waitForSafe(fn, options),
            resolveExpected(run, waitForSafeModel(s, value)),
            true,
          );
        }),
        { numRuns: RUNS },
      );
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'cancellationSafe',
    async () => {
      await fc.assert(
        fc.asyncProperty(scenarioArb(1, true), async (s) => {
          const run = new Run(s);
          const { fn, value } = run.op(s.ops[0], 0);
          await run.check(
            () =>
              cancellationSafe<unknown>(fn, {
                ...run.cleanupOptions(),
                suppress: s.suppress,
                fallback: FALLBACK,
                on: s.on,
                signal: run.outer.signal,
              }),
            resolveExpected(run, cancellationSafeModel(s, value)),
            true,
          );
        }),
        { numRuns: RUNS },
      );
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'gatherSafe',
    async () => {
      await fc.assert(
        fc.asyncProperty(scenarioArb(4, true), async (s) => {
          const run = new Run(s);
          const ops = s.ops.map((op, index) => run.op(op, index));
          const expected = resolveExpected(
            run,
            gatherSafeModel(
              s,
              ops.map((op) => op.value),
            ),
          );
          await run.check(
            async () => {
              const results = await gatherSafe(
                ops.map((op) => op.fn),
                { ...run.cleanupOptions(), returnErrors: s.returnErrors, signal: run.outer.signal },
              );
              // Resolved: each operation's own result in its place.
              s.ops.forEach((op, index) => {
                if (op.kind === 'resolve' && !Object.is(results[index], ops[index].value)) {
                  fail(`result ${index} is not the operation's own`);
                }
              });
              return GATHERED;
            },
            expected,
            true,
          );
        }),
        { numRuns: RUNS },
      );
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'TaskGroup',
    async () => {
      await fc.assert(
        fc.asyncProperty(scenarioArb(4, true), async (s) => {
          const run = new Run(s);
          const ops = s.ops.map((op, index) => run.op(op, index));
          await run.check(
            () =>
              TaskGroup.run(
                (group) => {
                  for (const op of ops) void group.spawn(op.fn);
                  return BODY_RESULT;
                },
                { signal: run.outer.signal },
              ),
            resolveExpected(
              run,
              taskGroupModel(
                s,
                ops.map((op) => op.value),
              ),
            ),
            false,
          );
        }),
        { numRuns: RUNS },
      );
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'shieldedWaitFor',
    async () => {
      await fc.assert(
        fc.asyncProperty(scenarioArb(1, false), async (s) => {
          const run = new Run(s);
          const { fn, value } = run.op(s.ops[0], 0);
          // The work has its own signal, never aborted: shieldedWaitFor never cancels it.
          const work = Promise.resolve().then(() => fn(new AbortController().signal));
          await run.check(
            () => shieldedWaitFor(work, s.timeoutMs),
            // Started one microtask later than the timer, a synchronous throw still wins.
            shieldedWaitForModel(s, value),
            false,
          );
        }),
        { numRuns: RUNS },
      );
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'LifecycleRetry: settles with an attempt’s own result or failure, or the abort reason after an abort',
    async () => {
      await fc.assert(
        fc.asyncProperty(scenarioArb(4, true), async (s) => {
          const run = new Run(s);
          const ops = s.ops.map((op, index) => run.op(op, index));
          const retry = new LifecycleRetry({
            maxAttempts: ops.length,
            initialDelayMs: 20,
            maxDelayMs: 100,
            signal: run.outer.signal,
          });
          const startedAt = Date.now();
          await run.check(
            async () => {
              try {
                return await retry.execute(({ signal, attempt }) => ops[attempt].fn(signal));
              } catch (error) {
                const abortAt = s.abortAtMs;
                // Settled after the abort: the call must have stopped with its reason.
                if (
                  abortAt !== null &&
                  Date.now() - startedAt > abortAt &&
                  !Object.is(error, run.abortReason)
                ) {
                  fail(`rejected after the abort with ${describeError(error)}, not its reason`);
                }
                throw error;
              }
            },
            { settles: 'any' },
            false,
          );
        }),
        { numRuns: RUNS },
      );
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'LifecycleCircuitBreaker: every call settles with its own result or failure, a refusal, or the abort reason',
    async () => {
      await fc.assert(
        fc.asyncProperty(scenarioArb(4, true), async (s) => {
          const run = new Run(s);
          const ops = s.ops.map((op, index) => run.op(op, index));
          const breaker = new LifecycleCircuitBreaker({
            name: 'property',
            consecutiveFailures: 2,
            signal: run.outer.signal,
          });
          const startedAt = Date.now();
          await run.check(
            async () => {
              const calls = ops.map((op) =>
                breaker
                  .execute(({ signal }) => op.fn(signal))
                  .then(
                    (value) => ({ state: 'resolved' as const, value }),
                    (reason: unknown) => {
                      const abortAt = s.abortAtMs;
                      // Rejected after the abort: the call must have stopped with its reason.
                      if (
                        abortAt !== null &&
                        Date.now() - startedAt > abortAt &&
                        !Object.is(reason, run.abortReason)
                      ) {
                        fail(`a call rejected after the abort with ${describeError(reason)}`);
                      }
                      return { state: 'rejected' as const, reason };
                    },
                  ),
              );
              for (const outcome of await Promise.all(calls)) {
                if (outcome.state === 'rejected') throw outcome.reason;
              }
              return BODY_RESULT;
            },
            { settles: 'any' },
            false,
          );
        }),
        { numRuns: RUNS },
      );
    },
    TEST_TIMEOUT_MS,
  );
});

describe('primitives property models', () => {
  it('agree with hand-worked cases', () => {
    const base: Scenario = {
      ops: [{ kind: 'reject', ms: 10, thrown: { kind: 'plain', value: 'x' } }],
      cleanup: { kind: 'sync' },
      reporter: 'recorder',
      cleanupTimeoutMs: 50,
      timeoutMs: 100,
      abortAtMs: null,
      useFallback: false,
      returnErrors: false,
      suppress: false,
      on: 'cancel',
    };
    expect(waitForSafeModel(base, 'x')).toEqual({
      settles: 'reject',
      reason: 'x',
      label: "the operation's failure",
      cleanups: 1,
    });
    expect(waitForSafeModel({ ...base, abortAtMs: 5 }, 'x')).toMatchObject({ reason: OUTER_ABORT });
    expect(waitForSafeModel({ ...base, abortAtMs: 10 }, 'x')).toEqual({ settles: 'any' });
    expect(cancellationSafeModel({ ...base, on: 'cancel' }, 'x')).toMatchObject({ cleanups: 0 });
    expect(gatherSafeModel({ ...base, returnErrors: true }, ['x'])).toEqual({
      settles: 'resolve',
      value: GATHERED,
      cleanups: 0,
    });
    const cancelled = new CancelledError();
    expect(gatherSafeModel({ ...base, returnErrors: true }, [cancelled])).toMatchObject({
      reason: cancelled,
    });
    expect(
      taskGroupModel({ ...base, ops: [base.ops[0], { kind: 'obey', thrown: null }] }, [
        'x',
        OWN_REASON,
      ]),
    ).toEqual({ settles: 'reject-group', errors: ['x'] });
  });
});
