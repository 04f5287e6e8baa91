import { describe, expect, it, jest } from '@jest/globals';
import fc from 'fast-check';
import { CancelledError } from '../../../lib/core/cancelled.error.js';
import { LifecycleCoordinator } from '../../../lib/core/lifecycle-coordinator.js';
import type { LifecycleEvent } from '../../../lib/core/lifecycle-event.interface.js';
import { ShutdownPhase } from '../../../lib/core/shutdown-phase.enum.js';
import type { ShutdownReport, TaskReport } from '../../../lib/core/shutdown-report.interface.js';
import type { TaskPriority } from '../../../lib/core/task-priority.enum.js';
import { TaskState } from '../../../lib/core/task-state.enum.js';
import type { CleanupInfo, TaskContext } from '../../../lib/core/task.interface.js';

/*
 * Property-based tests of the phased shutdown (DESIGN §4): random task sets with random
 * priorities, acyclic dependencies (a node may only depend on nodes registered before it),
 * random behaviours, cleanups, shutdown hooks, drain delays, start phases and escalations.
 *
 * Each run records one totally ordered log: the coordinator's own events (`events$`: phase
 * changes, task state changes — `cancelling` is the moment a task is signalled —, hook start and
 * end) interleaved with what the tasks, cleanups and hooks observed and did (abort listeners,
 * their own resolve/reject, calls). Time is fake, so every log entry also has an exact time.
 * The properties compare that log with the report and with a model of the waves.
 *
 * "Released" is what lets the next wave start (what DESIGN calls "ended"): the task settled, or
 * its cleanup was forced (FORCEFUL / TERMINATE), and its cleanup (if any) is over — finished by
 * itself, or given up at its deadline. In GRACEFUL no cleanup is ever forced, so there a task
 * is released only once it settled and its cleanup is over (the strict property).
 */

// Captured before any fake timer is installed: lets a run end on a real macrotask turn, so an
// unhandled rejection surfaces (and fails the test: --unhandled-rejections=strict) in that run.
const realSetImmediate = setImmediate;

const REASON = 'property';
const NEVER = Number.POSITIVE_INFINITY;
/** Fake time has no jitter: the shutdown must end exactly within its budgets. */
const SLACK_MS = 0;
/** A few hundred runs take 1–2 s; generous for slow machines. */
const TEST_TIMEOUT_MS = 30_000;

// ---------------------------------------------------------------------------------------------
// Scenarios

type CallbackMode =
  | 'sync' // returns at once
  | 'throw' // throws synchronously
  | 'resolve' // resolves after `ms`
  | 'reject' // rejects with an Error after `ms`
  | 'hang' // never settles
  | 'obey'; // settles only when its own signal aborts (at its deadline), rejecting with the reason

interface CallbackSpec {
  readonly mode: CallbackMode;
  readonly ms: number;
}

type Behaviour =
  /** Resolves on its own after `afterMs` (from its start), whatever happens. */
  | { readonly type: 'complete'; readonly afterMs: number }
  /** Rejects with a plain Error on its own after `afterMs`. */
  | { readonly type: 'fail'; readonly afterMs: number }
  /** Ends `afterMs` after its signal aborts: rejects with the reason (or a cancellation). */
  | {
      readonly type: 'honour';
      readonly afterMs: number;
      readonly end: 'reason' | 'wrapped' | 'abort-error' | 'resolve';
    }
  /** Rejects with a plain Error `afterMs` after its signal aborts. */
  | { readonly type: 'fail-on-signal'; readonly afterMs: number }
  /** Ignores its signal: never ends, or ends long after its start. */
  | {
      readonly type: 'ignore';
      readonly endAfterMs: number | null;
      readonly end: 'resolve' | 'fail' | 'cancel';
    };

interface TaskSpec {
  readonly kind: 'task';
  readonly priority: TaskPriority;
  readonly deps: readonly number[];
  /** Tasks that never read `ctx.signal` get no AbortController. */
  readonly readsSignal: boolean;
  readonly behaviour: Behaviour;
  readonly cleanup: CallbackSpec | null;
  readonly cleanupTimeoutMs: number | null;
}

interface HookSpec {
  readonly kind: 'hook';
  readonly priority: TaskPriority;
  readonly deps: readonly number[];
  readonly fn: CallbackSpec;
  readonly timeoutMs: number | null;
}

type NodeSpec = TaskSpec | HookSpec;

interface Options {
  readonly gracefulMs: number;
  readonly forcefulMs: number;
  readonly terminateMs: number;
  readonly cleanupTimeoutMs: number;
  readonly drainDelayMs: number;
  readonly progressIntervalMs: number;
}

interface Scenario {
  readonly options: Options;
  readonly nodes: readonly NodeSpec[];
  /** Time between creating everything and calling shutdown(); below every cleanup deadline. */
  readonly startAfterMs: number;
  readonly startPhase: ShutdownPhase | null;
  /** Offsets from the shutdown start at which escalate() is called. */
  readonly escalateAtMs: readonly number[];
}

const MIN_CLEANUP_TIMEOUT_MS = 120;
const MAX_START_AFTER_MS = 100; // < MIN_CLEANUP_TIMEOUT_MS: no cleanup times out before shutdown

const priorityArb = fc.integer({ min: 0, max: 4 }).map((p) => p as TaskPriority);

function callbackArb(maxMs: number, modes: readonly CallbackMode[]): fc.Arbitrary<CallbackSpec> {
  return fc.record({ mode: fc.constantFrom(...modes), ms: fc.integer({ min: 0, max: maxMs }) });
}

const ALL_MODES: readonly CallbackMode[] = ['sync', 'throw', 'resolve', 'reject', 'hang', 'obey'];
const ENDING_MODES: readonly CallbackMode[] = ['sync', 'throw', 'resolve', 'reject'];

const behaviourArb: fc.Arbitrary<Behaviour> = fc.oneof(
  {
    weight: 2,
    arbitrary: fc.record({
      type: fc.constant('complete' as const),
      // Some end before the shutdown starts (at most MAX_START_AFTER_MS after creation).
      afterMs: fc.oneof(fc.integer({ min: 0, max: 120 }), fc.integer({ min: 0, max: 1500 })),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      type: fc.constant('fail' as const),
      afterMs: fc.integer({ min: 0, max: 1500 }),
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      type: fc.constant('honour' as const),
      afterMs: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 300 })),
      end: fc.constantFrom(
        'reason' as const,
        'wrapped' as const,
        'abort-error' as const,
        'resolve' as const,
      ),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      type: fc.constant('fail-on-signal' as const),
      afterMs: fc.integer({ min: 0, max: 300 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      type: fc.constant('ignore' as const),
      endAfterMs: fc.option(fc.integer({ min: 200, max: 4000 }), { nil: null }),
      end: fc.constantFrom('resolve' as const, 'fail' as const, 'cancel' as const),
    }),
  },
);

function needsSignal(behaviour: Behaviour): boolean {
  return behaviour.type === 'honour' || behaviour.type === 'fail-on-signal';
}

const taskArb: fc.Arbitrary<Omit<TaskSpec, 'deps'>> = fc
  .record({
    priority: priorityArb,
    behaviour: behaviourArb,
    readsSignal: fc.boolean(),
    cleanup: fc.option(callbackArb(400, ALL_MODES), { nil: null, freq: 3 }),
    cleanupTimeoutMs: fc.option(fc.integer({ min: MIN_CLEANUP_TIMEOUT_MS, max: 300 }), {
      nil: null,
      freq: 3,
    }),
  })
  .map((t) => ({
    kind: 'task' as const,
    ...t,
    readsSignal: t.readsSignal || needsSignal(t.behaviour),
  }));

const hookArb: fc.Arbitrary<Omit<HookSpec, 'deps'>> = fc.record({
  kind: fc.constant('hook' as const),
  priority: priorityArb,
  fn: callbackArb(400, ALL_MODES),
  // At least 1: a 0 ms timer set inside a timer callback fires 1 ms later (Node and fake timers).
  timeoutMs: fc.option(fc.integer({ min: 1, max: 300 }), { nil: null }),
});

/** Dependencies only on earlier nodes: acyclic by construction. */
function withDeps<T>(
  nodes: readonly { node: T; depSeeds: readonly number[] }[],
): (T & { deps: number[] })[] {
  return nodes.map(({ node, depSeeds }, index) => ({
    ...node,
    deps:
      index === 0 ? [] : [...new Set(depSeeds.map((seed) => seed % index))].sort((a, b) => a - b),
  }));
}

interface Profile {
  readonly taskWeight: number;
  readonly hookWeight: number;
  readonly maxNodes: number;
  /** Weights of shutdown() with no phase, with FORCEFUL, with TERMINATE. */
  readonly startWeights: readonly [number, number, number];
}

function scenarioArb(profile: Profile): fc.Arbitrary<Scenario> {
  return fc.record({
    options: fc.record({
      gracefulMs: fc.integer({ min: 200, max: 1000 }),
      forcefulMs: fc.integer({ min: 50, max: 500 }),
      terminateMs: fc.integer({ min: 50, max: 300 }),
      cleanupTimeoutMs: fc.integer({ min: MIN_CLEANUP_TIMEOUT_MS, max: 250 }),
      drainDelayMs: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 200 })),
      progressIntervalMs: fc.constantFrom(0, 0, 70),
    }),
    nodes: fc
      .array(
        fc.record({
          node: fc.oneof(
            {
              weight: profile.taskWeight,
              arbitrary: taskArb,
            },
            { weight: profile.hookWeight, arbitrary: hookArb },
          ),
          depSeeds: fc.array(fc.nat(), { maxLength: 3 }),
        }),
        { maxLength: profile.maxNodes },
      )
      .map((nodes) => withDeps(nodes) as NodeSpec[]),
    startAfterMs: fc.integer({ min: 0, max: MAX_START_AFTER_MS }),
    startPhase: fc.oneof(
      { weight: profile.startWeights[0], arbitrary: fc.constant(null) },
      { weight: profile.startWeights[1], arbitrary: fc.constant(ShutdownPhase.FORCEFUL) },
      { weight: profile.startWeights[2], arbitrary: fc.constant(ShutdownPhase.TERMINATE) },
    ),
    escalateAtMs: fc.oneof(
      { weight: 3, arbitrary: fc.constant([]) },
      {
        weight: 1,
        arbitrary: fc.array(fc.integer({ min: 0, max: 2500 }), { minLength: 1, maxLength: 3 }),
      },
    ),
  });
}

/** Mostly tasks; or mostly hooks, with more shutdowns that start in a later phase. */
const randomScenarioArb: fc.Arbitrary<Scenario> = fc.oneof(
  {
    weight: 3,
    arbitrary: scenarioArb({ taskWeight: 3, hookWeight: 1, maxNodes: 9, startWeights: [6, 1, 1] }),
  },
  {
    weight: 1,
    arbitrary: scenarioArb({ taskWeight: 1, hookWeight: 2, maxNodes: 6, startWeights: [1, 1, 2] }),
  },
);

/** Everyone behaves and the graceful budget is ample: nothing may be forced or abandoned. */
const gracefulScenarioArb: fc.Arbitrary<Scenario> = fc.record({
  options: fc.record({
    gracefulMs: fc.constant(10_000),
    forcefulMs: fc.integer({ min: 50, max: 500 }),
    terminateMs: fc.integer({ min: 50, max: 300 }),
    cleanupTimeoutMs: fc.integer({ min: 200, max: 250 }),
    drainDelayMs: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 200 })),
    progressIntervalMs: fc.constant(0),
  }),
  nodes: fc
    .array(
      fc.record({
        node: fc.oneof(
          {
            weight: 4,
            arbitrary: fc.record({
              kind: fc.constant('task' as const),
              priority: priorityArb,
              behaviour: fc.oneof(
                fc.record({
                  type: fc.constant('honour' as const),
                  afterMs: fc.integer({ min: 0, max: 150 }),
                  end: fc.constantFrom('reason' as const, 'wrapped' as const, 'resolve' as const),
                }),
                fc.record({
                  type: fc.constant('complete' as const),
                  afterMs: fc.integer({ min: 0, max: 600 }),
                }),
                fc.record({
                  type: fc.constant('fail' as const),
                  afterMs: fc.integer({ min: 0, max: 600 }),
                }),
                fc.record({
                  type: fc.constant('fail-on-signal' as const),
                  afterMs: fc.integer({ min: 0, max: 150 }),
                }),
              ),
              readsSignal: fc.boolean(),
              cleanup: fc.option(callbackArb(150, ENDING_MODES), { nil: null }),
              cleanupTimeoutMs: fc.constant(null),
            }),
          },
          {
            weight: 1,
            arbitrary: fc.record({
              kind: fc.constant('hook' as const),
              priority: priorityArb,
              fn: callbackArb(150, ENDING_MODES),
              timeoutMs: fc.constant(null),
            }),
          },
        ),
        depSeeds: fc.array(fc.nat(), { maxLength: 3 }),
      }),
      { maxLength: 9 },
    )
    .map(
      (nodes) =>
        withDeps(nodes).map((node) =>
          node.kind === 'task'
            ? { ...node, readsSignal: node.readsSignal || needsSignal(node.behaviour) }
            : node,
        ) as NodeSpec[],
    ),
  startAfterMs: fc.integer({ min: 0, max: MAX_START_AFTER_MS }),
  startPhase: fc.constant(null),
  escalateAtMs: fc.constant([]),
});

// ---------------------------------------------------------------------------------------------
// One run: everything observed, in one ordered log

interface CleanupSnapshot {
  readonly forced: boolean;
  readonly state: TaskState;
  readonly phase: ShutdownPhase | undefined;
  readonly hasReason: boolean;
  readonly hasError: boolean;
}

type Ev =
  | { readonly k: 'engine'; readonly e: LifecycleEvent }
  | { readonly k: 'abort'; readonly name: string; readonly reason: unknown }
  | { readonly k: 'settle'; readonly name: string; readonly how: 'resolve' | 'cancel' | 'error' }
  | {
      readonly k: 'call';
      readonly name: string;
      readonly what: 'cleanup' | 'hook';
      readonly info?: CleanupSnapshot;
    }
  | {
      readonly k: 'done';
      readonly name: string;
      readonly what: 'cleanup' | 'hook';
      readonly how: 'ok' | 'error' | 'obey';
    }
  | { readonly k: 'escalate' }
  | { readonly k: 'shutdown' }
  | { readonly k: 'resolved' };

interface Note<E extends Ev = Ev> {
  readonly seq: number;
  readonly t: number;
  readonly ev: E;
}

interface Run {
  readonly scenario: Scenario;
  readonly names: readonly string[];
  readonly notes: readonly Note[];
  /** Names of the live tasks just before shutdown() (coordinator.tasks()). */
  readonly liveAtStart: readonly string[];
  readonly t0: number;
  readonly shutdownSeq: number;
  /** Undefined when the shutdown did not resolve within its budgets (plus a margin). */
  readonly resolved:
    | {
        readonly report: ShutdownReport;
        readonly t: number;
        readonly seq: number;
        readonly timerCount: number;
        readonly ownTimerCount: number;
        readonly reportAgain: ShutdownReport | undefined;
      }
    | undefined;
  /** getReport() once every timer of the test has run (late failures included). */
  readonly finalReport: ShutdownReport | undefined;
  readonly timersAfterAll: number;
}

function nodeName(node: NodeSpec, index: number): string {
  return `${node.kind === 'task' ? 't' : 'h'}${index}`;
}

function budgetSum(options: Options): number {
  return options.drainDelayMs + options.gracefulMs + options.forcefulMs + options.terminateMs;
}

async function runScenario(scenario: Scenario): Promise<Run> {
  jest.useFakeTimers({ doNotFake: ['nextTick', 'queueMicrotask'] });
  const notes: Note[] = [];
  const note = (ev: Ev): number => {
    const seq = notes.length;
    notes.push({ seq, t: performance.now(), ev });
    return seq;
  };
  // The test's own timers, so that the engine's can be told apart from them.
  const ownTimers = new Set<ReturnType<typeof setTimeout>>();
  const later = (ms: number, fn: () => void): void => {
    const handle = setTimeout(() => {
      ownTimers.delete(handle);
      fn();
    }, ms);
    ownTimers.add(handle);
  };

  const callback = (
    spec: CallbackSpec,
    name: string,
    what: 'cleanup' | 'hook',
    signal: () => AbortSignal,
  ): unknown => {
    const done = (how: 'ok' | 'error' | 'obey'): void => {
      note({ k: 'done', name, what, how });
    };
    switch (spec.mode) {
      case 'sync':
        done('ok');
        return undefined;
      case 'throw':
        done('error');
        throw new Error(`${what} of ${name} threw`);
      case 'resolve':
        return new Promise<void>((resolve) =>
          later(spec.ms, () => {
            done('ok');
            resolve();
          }),
        );
      case 'reject':
        return new Promise<void>((_, reject) =>
          later(spec.ms, () => {
            done('error');
            reject(new Error(`${what} of ${name} rejected`));
          }),
        );
      case 'hang':
        return new Promise<void>(() => undefined);
      case 'obey': {
        const own = signal();
        return new Promise<void>((_, reject) =>
          own.addEventListener(
            'abort',
            () => {
              done('obey');
              reject(own.reason);
            },
            { once: true },
          ),
        );
      }
    }
  };

  const taskBody = (spec: TaskSpec, name: string, ctx: TaskContext): Promise<unknown> => {
    const signal = spec.readsSignal ? ctx.signal : undefined;
    if (signal !== undefined) {
      signal.addEventListener('abort', () => note({ k: 'abort', name, reason: signal.reason }), {
        once: true,
      });
    }
    return new Promise((resolve, reject) => {
      let ended = false;
      const end = (how: 'resolve' | 'cancel' | 'error', value: unknown): void => {
        if (ended) return;
        ended = true;
        note({ k: 'settle', name, how });
        if (how === 'resolve') resolve(value);
        else reject(value);
      };
      const afterAbort = (ms: number, fn: () => void): void => {
        (signal as AbortSignal).addEventListener('abort', () => (ms === 0 ? fn() : later(ms, fn)), {
          once: true,
        });
      };
      const b = spec.behaviour;
      switch (b.type) {
        case 'complete':
          later(b.afterMs, () => end('resolve', name));
          break;
        case 'fail':
          later(b.afterMs, () => end('error', new Error(`${name} failed`)));
          break;
        case 'honour':
          afterAbort(b.afterMs, () => {
            const reason: unknown = (signal as AbortSignal).reason;
            if (b.end === 'reason') end('cancel', reason);
            else if (b.end === 'wrapped')
              end('cancel', new Error(`${name} stopped`, { cause: reason }));
            else if (b.end === 'abort-error')
              end('cancel', new DOMException('aborted', 'AbortError'));
            else end('resolve', 'stopped');
          });
          break;
        case 'fail-on-signal':
          afterAbort(b.afterMs, () => end('error', new Error(`${name} failed while stopping`)));
          break;
        case 'ignore':
          if (b.endAfterMs !== null) {
            later(b.endAfterMs, () => {
              if (b.end === 'resolve') end('resolve', name);
              else if (b.end === 'fail') end('error', new Error(`${name} failed late`));
              else end('cancel', new CancelledError(`${name} gave up`));
            });
          }
          break;
      }
    });
  };

  const { options } = scenario;
  const coordinator = new LifecycleCoordinator({
    phases: {
      gracefulMs: options.gracefulMs,
      forcefulMs: options.forcefulMs,
      terminateMs: options.terminateMs,
    },
    cleanupTimeoutMs: options.cleanupTimeoutMs,
    drainDelayMs: options.drainDelayMs,
    progressIntervalMs: options.progressIntervalMs,
  });
  const subscription = coordinator.events$.subscribe((e) => note({ k: 'engine', e }));
  const names = scenario.nodes.map(nodeName);
  const handles: unknown[] = [];
  scenario.nodes.forEach((node, index) => {
    const name = names[index];
    const dependsOn = node.deps.map((dep) => names[dep]);
    if (node.kind === 'hook') {
      coordinator.registerShutdownHook(
        name,
        (ctx) => {
          note({ k: 'call', name, what: 'hook' });
          return callback(node.fn, name, 'hook', () => ctx.signal);
        },
        { priority: node.priority, dependsOn, timeoutMs: node.timeoutMs ?? undefined },
      );
      return;
    }
    const cleanupSpec = node.cleanup;
    handles.push(
      coordinator.createTask((ctx) => taskBody(node, name, ctx), {
        name,
        priority: node.priority,
        dependsOn,
        cleanupTimeoutMs: node.cleanupTimeoutMs ?? undefined,
        cleanup:
          cleanupSpec === null
            ? undefined
            : (info: CleanupInfo) => {
                note({
                  k: 'call',
                  name,
                  what: 'cleanup',
                  info: {
                    forced: info.forced,
                    state: info.state,
                    phase: info.phase,
                    hasReason: info.reason !== undefined,
                    hasError: info.error !== undefined,
                  },
                });
                return callback(cleanupSpec, name, 'cleanup', () => info.signal);
              },
      }),
    );
  });

  await jest.advanceTimersByTimeAsync(scenario.startAfterMs);
  const liveAtStart = coordinator.tasks().map((task) => task.name);
  const t0 = performance.now();
  for (const at of scenario.escalateAtMs) {
    later(at, () => {
      note({ k: 'escalate' });
      coordinator.escalate();
    });
  }
  const shutdownSeq = note({ k: 'shutdown' });
  let resolved: Run['resolved'];
  const done = coordinator
    .shutdown({ reason: REASON, phase: scenario.startPhase ?? undefined })
    .then((report) => {
      resolved = {
        report,
        t: performance.now(),
        seq: note({ k: 'resolved' }),
        timerCount: jest.getTimerCount(),
        ownTimerCount: ownTimers.size,
        reportAgain: coordinator.getReport(),
      };
    });
  await jest.advanceTimersByTimeAsync(budgetSum(options) + 50);
  if (resolved !== undefined) await done;
  else jest.clearAllTimers(); // a stuck shutdown: the property reports it
  if (resolved !== undefined && resolved.timerCount !== resolved.ownTimerCount) {
    // Timers the engine left behind could be intervals: do not let them run forever.
    jest.clearAllTimers();
  }
  // Let the tasks, cleanups and hooks the shutdown gave up on finish (late failures).
  await jest.runAllTimersAsync();
  const timersAfterAll = jest.getTimerCount();
  subscription.unsubscribe();
  const finalReport = coordinator.getReport();
  jest.useRealTimers();
  await new Promise((resolve) => realSetImmediate(resolve));
  return {
    scenario,
    names,
    notes,
    liveAtStart,
    t0,
    shutdownSeq,
    resolved,
    finalReport,
    timersAfterAll,
  };
}

// ---------------------------------------------------------------------------------------------
// Analysis of a run

function ensure(condition: boolean, message: () => string): asserts condition {
  if (!condition) throw new Error(message());
}

function fmt(value: unknown): string {
  return JSON.stringify(value, (_, v: unknown) => (v === undefined ? '<undefined>' : v));
}

/** Deep equality that ignores prototypes (reports may be structured clones), like toEqual. */
function same(actual: unknown, expected: unknown, what: () => string): void {
  try {
    expect(actual).toEqual(expected);
  } catch {
    throw new Error(`${what()}: expected ${fmt(expected)}, got ${fmt(actual)}`);
  }
}

const FINAL_STATES: readonly TaskState[] = [
  TaskState.COMPLETED,
  TaskState.CANCELLED,
  TaskState.FAILED,
  TaskState.ABANDONED,
];

const PHASE_NAMES: readonly ShutdownPhase[] = [
  ShutdownPhase.GRACEFUL,
  ShutdownPhase.FORCEFUL,
  ShutdownPhase.TERMINATE,
];

interface Marker {
  readonly t: number;
  /** Absent when only the time is known (a callback given up at its deadline). */
  readonly seq?: number;
}

/** The earlier of two markers; at the same time, the first in the log (or the time-only one). */
function earliest(x: Marker, y: Marker): Marker {
  if (x.t !== y.t) return x.t < y.t ? x : y;
  if (x.seq === undefined || y.seq === undefined) return x.seq === undefined ? x : y;
  return x.seq <= y.seq ? x : y;
}

/** The later of two markers; at the same time, the last in the log (or the time-only one). */
function latest(x: Marker, y: Marker): Marker {
  if (x.t !== y.t) return x.t > y.t ? x : y;
  if (x.seq === undefined || y.seq === undefined) return x.seq === undefined ? x : y;
  return x.seq >= y.seq ? x : y;
}

interface TaskFacts {
  readonly index: number;
  readonly name: string;
  readonly spec: TaskSpec;
  readonly settle: Note<Extract<Ev, { k: 'settle' }>> | undefined;
  readonly abort: Note<Extract<Ev, { k: 'abort' }>> | undefined;
  readonly cancelling: Note | undefined;
  readonly cancellingCount: number;
  readonly final: (Note & { readonly state: TaskState }) | undefined;
  readonly finalCount: number;
  readonly cleanupCalls: Note<Extract<Ev, { k: 'call' }>>[];
  readonly cleanupDone: Note<Extract<Ev, { k: 'done' }>> | undefined;
}

interface HookFacts {
  readonly index: number;
  readonly name: string;
  readonly spec: HookSpec;
  readonly calls: Note<Extract<Ev, { k: 'call' }>>[];
  readonly done: Note<Extract<Ev, { k: 'done' }>> | undefined;
  readonly end: (Note & { readonly outcome: string }) | undefined;
}

class Analysis {
  readonly report: ShutdownReport;
  readonly resolvedAt: number;
  readonly resolvedSeq: number;
  readonly finishT: number;
  readonly phases: {
    readonly phase: ShutdownPhase;
    readonly by: string;
    readonly seq: number;
    readonly t: number;
  }[] = [];
  readonly tasks = new Map<string, TaskFacts>();
  readonly hooks = new Map<string, HookFacts>();
  /** Plan members (live tasks and every hook) by name. */
  readonly inPlan = new Set<string>();
  readonly wave = new Map<string, number>();
  /** Names of the plan members that list a node in dependsOn. */
  readonly dependents = new Map<string, string[]>();
  readonly reportTask = new Map<string, TaskReport>();

  constructor(readonly run: Run) {
    const resolved = run.resolved;
    ensure(
      resolved !== undefined,
      () =>
        `[P3 time bound] shutdown did not resolve within ${budgetSum(run.scenario.options) + 50} ms`,
    );
    this.report = resolved.report;
    this.resolvedAt = resolved.t;
    this.resolvedSeq = resolved.seq;
    this.finishT = run.t0 + this.report.durationMs;

    for (const n of run.notes) {
      if (n.ev.k === 'engine' && n.ev.e.type === 'phase' && n.seq < resolved.seq) {
        this.phases.push({ phase: n.ev.e.phase, by: n.ev.e.by, seq: n.seq, t: n.t });
      }
    }

    const notesOf = <K extends Ev['k']>(k: K, name: string): Note<Extract<Ev, { k: K }>>[] =>
      run.notes.filter(
        (n): n is Note<Extract<Ev, { k: K }>> =>
          n.ev.k === k && 'name' in n.ev && n.ev.name === name,
      );
    const engineTaskEvents = (name: string): (Note & { state: TaskState })[] =>
      run.notes.flatMap((n) =>
        n.ev.k === 'engine' && n.ev.e.type === 'task' && n.ev.e.name === name
          ? [{ ...n, state: n.ev.e.state }]
          : [],
      );

    run.scenario.nodes.forEach((spec, index) => {
      const name = run.names[index];
      if (spec.kind === 'task') {
        const events = engineTaskEvents(name);
        const cancelling = events.filter((e) => e.state === TaskState.CANCELLING);
        const finals = events.filter((e) => FINAL_STATES.includes(e.state));
        this.tasks.set(name, {
          index,
          name,
          spec,
          settle: notesOf('settle', name)[0],
          abort: notesOf('abort', name)[0],
          cancelling: cancelling[0],
          cancellingCount: cancelling.length,
          final: finals[0],
          finalCount: finals.length,
          cleanupCalls: notesOf('call', name).filter((n) => n.ev.what === 'cleanup'),
          cleanupDone: notesOf('done', name).find((n) => n.ev.what === 'cleanup'),
        });
        if (run.liveAtStart.includes(name)) this.inPlan.add(name);
      } else {
        const hookEvents = run.notes.flatMap((n) =>
          n.ev.k === 'engine' && n.ev.e.type === 'hook' && n.ev.e.name === name
            ? [{ ...n, outcome: n.ev.e.outcome }]
            : [],
        );
        const end = hookEvents.find((e) => e.outcome !== undefined);
        this.hooks.set(name, {
          index,
          name,
          spec,
          calls: notesOf('call', name).filter((n) => n.ev.what === 'hook'),
          done: notesOf('done', name).find((n) => n.ev.what === 'hook'),
          end: end === undefined ? undefined : { ...end, outcome: end.outcome as string },
        });
        this.inPlan.add(name);
      }
    });

    // The model of DESIGN §4: wave = max(4 - priority, 1 + latest wave of a dependent in the plan).
    // Dependencies only point backwards, so one pass from the last node computes it.
    for (let index = run.scenario.nodes.length - 1; index >= 0; index--) {
      const name = run.names[index];
      if (!this.inPlan.has(name)) continue;
      let wave = 4 - run.scenario.nodes[index].priority;
      const dependents: string[] = [];
      run.scenario.nodes.forEach((other, j) => {
        if (j > index && this.inPlan.has(run.names[j]) && other.deps.includes(index)) {
          dependents.push(run.names[j]);
          wave = Math.max(wave, (this.wave.get(run.names[j]) as number) + 1);
        }
      });
      this.wave.set(name, wave);
      this.dependents.set(name, dependents);
    }
    for (const task of this.report.tasks) this.reportTask.set(task.name, task);
  }

  get options(): Options {
    return this.run.scenario.options;
  }

  planTasks(): TaskFacts[] {
    return [...this.tasks.values()].filter((task) => this.inPlan.has(task.name));
  }

  allHooks(): HookFacts[] {
    return [...this.hooks.values()];
  }

  /** The phase the shutdown was in just before log entry `seq` (undefined: drain or before). */
  phaseAt(seq: number): ShutdownPhase | undefined {
    let phase: ShutdownPhase | undefined;
    for (const p of this.phases) if (p.seq < seq) phase = p.phase;
    return phase;
  }

  entry(phase: ShutdownPhase): { seq: number; t: number } | undefined {
    return this.phases.find((p) => p.phase === phase);
  }

  /** The task settled as far as the engine is concerned (not abandoned). */
  ended(task: TaskFacts): boolean {
    return task.final !== undefined && task.final.state !== TaskState.ABANDONED;
  }

  endedBefore(task: TaskFacts, seq: number): boolean {
    return this.ended(task) && (task.final as Note).seq < seq;
  }

  /** How long a callback may run: its own deadline, or the end of the shutdown if earlier. */
  deadline(startT: number, timeoutMs: number): number {
    return Math.min(startT + timeoutMs, this.finishT);
  }

  cleanupTimeout(task: TaskFacts): number {
    return task.spec.cleanupTimeoutMs ?? this.options.cleanupTimeoutMs;
  }

  hookTimeout(hook: HookFacts): number {
    return hook.spec.timeoutMs ?? this.options.cleanupTimeoutMs;
  }

  /** When the engine considered the cleanup over (from the report, checked by P2). */
  cleanupEnd(task: TaskFacts): Marker | undefined {
    if (task.spec.cleanup === null) return undefined;
    const call = task.cleanupCalls[0];
    const outcome = this.reportTask.get(task.name)?.cleanup;
    if (call === undefined || outcome === undefined) return { t: NEVER };
    const t = call.t + outcome.durationMs;
    if (outcome.outcome !== 'timeout' && task.cleanupDone !== undefined) {
      return { t, seq: task.cleanupDone.seq };
    }
    return { t };
  }

  /** When the task stopped holding up its wave, in the engine's FORCEFUL/TERMINATE sense. */
  forced(task: TaskFacts): Marker | undefined {
    if (task.spec.cleanup !== null) {
      const call = task.cleanupCalls[0];
      return call?.ev.info?.forced === true ? { t: call.t, seq: call.seq } : undefined;
    }
    const unendedAt = (seq: number): boolean => !this.endedBefore(task, seq);
    const forceful = this.entry(ShutdownPhase.FORCEFUL);
    if (
      forceful !== undefined &&
      task.cancelling !== undefined &&
      task.cancelling.seq < forceful.seq &&
      unendedAt(forceful.seq)
    ) {
      return forceful;
    }
    const terminate = this.entry(ShutdownPhase.TERMINATE);
    if (terminate !== undefined && unendedAt(terminate.seq)) return terminate;
    return undefined;
  }

  /** The moment the task released its wave: (ended or forced) and its cleanup over. */
  release(task: TaskFacts): Marker {
    const end: Marker = this.ended(task) ? (task.final as Note) : { t: NEVER };
    const first = earliest(end, this.forced(task) ?? { t: NEVER });
    const cleanup = this.cleanupEnd(task);
    return cleanup === undefined ? first : latest(first, cleanup);
  }

  hookEnd(hook: HookFacts): Marker {
    return hook.end ?? { t: NEVER };
  }

  /** A marker strictly precedes a log entry (same time allowed, then by log order). */
  before(marker: Marker, seq: number, t: number): boolean {
    return marker.t <= t && (marker.seq === undefined || marker.seq < seq);
  }

  firstPhaseT(): number {
    return this.phases[0]?.t ?? NEVER;
  }

  /** When wave `wave` (tasks; or its hooks with `hooksOf`) can start: everything before released. */
  expectedStart(wave: number, hooksOf = false): number {
    let t = this.firstPhaseT();
    for (const task of this.planTasks()) {
      const w = this.wave.get(task.name) as number;
      if (w < wave || (hooksOf && w === wave)) t = Math.max(t, this.release(task).t);
    }
    for (const hook of this.allHooks()) {
      if ((this.wave.get(hook.name) as number) < wave) t = Math.max(t, this.hookEnd(hook).t);
    }
    return t;
  }

  at(t: number): string {
    return `+${t - this.run.t0}ms`;
  }
}

// ---------------------------------------------------------------------------------------------
// The properties

/** P6: each task's and hook's wave follows DESIGN §4; the report lists them in stop order. */
function checkWaves(a: Analysis): void {
  const { run, report } = a;
  // The report covers exactly the tasks alive when shutdown began — by the tasks' own log too:
  // a task is gone only if it settled and its cleanup finished before shutdown().
  for (const task of a.tasks.values()) {
    const settledBefore = task.settle !== undefined && task.settle.seq < run.shutdownSeq;
    const cleanupBefore =
      task.spec.cleanup === null ||
      (task.cleanupDone !== undefined &&
        task.cleanupDone.ev.how !== 'obey' &&
        task.cleanupDone.seq < run.shutdownSeq);
    same(
      a.inPlan.has(task.name),
      !(settledBefore && cleanupBefore),
      () => `[P6 waves] ${task.name} alive when shutdown began`,
    );
  }
  const order = (names: string[]): string[] =>
    [...names].sort(
      (x, y) =>
        (a.wave.get(x) as number) - (a.wave.get(y) as number) ||
        (a.tasks.get(x) ?? a.hooks.get(x))!.index - (a.tasks.get(y) ?? a.hooks.get(y))!.index,
    );
  same(
    report.tasks.map((t) => t.name),
    order(a.planTasks().map((t) => t.name)),
    () => '[P6 waves] report.tasks in stop order (wave, then creation)',
  );
  for (const t of report.tasks) {
    const facts = a.tasks.get(t.name) as TaskFacts;
    same(t.wave, a.wave.get(t.name), () => `[P6 waves] wave of ${t.name}`);
    same(t.priority, facts.spec.priority, () => `[P6 waves] priority of ${t.name}`);
    same(
      t.dependsOn,
      facts.spec.deps.map((d) => run.names[d]),
      () => `[P6 waves] dependsOn of ${t.name}`,
    );
  }
  same(
    report.hooks.map((h) => h.name),
    order(a.allHooks().map((h) => h.name)),
    () => '[P6 waves] report.hooks: every hook, in run order (wave, then registration)',
  );
  for (const h of report.hooks) {
    same(h.wave, a.wave.get(h.name), () => `[P6 waves] wave of hook ${h.name}`);
  }
}

/** P1: signals follow the waves; strictly in GRACEFUL, with forced releases after escalation. */
function checkStopOrder(a: Analysis): void {
  const { run } = a;
  const strict = (seq: number, t: number, what: string, y: TaskFacts): void => {
    // GRACEFUL: nothing was forced yet; the other task settled and its cleanup is over.
    ensure(
      a.endedBefore(y, seq),
      () => `[P1 stop order] ${what} at ${a.at(t)} in graceful before ${y.name} ended`,
    );
    const cleanup = a.cleanupEnd(y);
    ensure(
      cleanup === undefined || a.before(cleanup, seq, t),
      () => `[P1 stop order] ${what} at ${a.at(t)} in graceful before ${y.name}'s cleanup ended`,
    );
  };
  const weak = (seq: number, t: number, what: string, y: TaskFacts): void => {
    ensure(
      a.before(a.release(y), seq, t),
      () =>
        `[P1 stop order] ${what} at ${a.at(t)} before ${y.name} was released ` +
        `(release at ${a.at(a.release(y).t)})`,
    );
  };
  const hooksBefore = (seq: number, t: number, what: string, wave: number): void => {
    for (const h of a.allHooks()) {
      if ((a.wave.get(h.name) as number) >= wave) continue;
      ensure(
        a.before(a.hookEnd(h), seq, t),
        () => `[P1 stop order] ${what} at ${a.at(t)} before hook ${h.name} (earlier wave) ended`,
      );
    }
  };
  const dependentsBefore = (
    name: string,
    seq: number,
    t: number,
    what: string,
    check: typeof strict,
  ): void => {
    for (const dependent of a.dependents.get(name) ?? []) {
      const y = a.tasks.get(dependent);
      if (y !== undefined) {
        check(seq, t, `${what} (dependent ${y.name})`, y);
        continue;
      }
      const h = a.hooks.get(dependent) as HookFacts;
      ensure(
        a.before(a.hookEnd(h), seq, t),
        () => `[P1 stop order] ${what} before its dependent hook ${h.name} ended`,
      );
    }
  };
  const atTerminate = (seq: number, t: number, what: string): void => {
    const terminate = a.entry(ShutdownPhase.TERMINATE);
    ensure(
      terminate !== undefined && t === terminate.t && seq > terminate.seq,
      () => `[P1 stop order] ${what} in terminate, but not at its entry`,
    );
  };

  for (const x of a.planTasks()) {
    const wave = a.wave.get(x.name) as number;
    const reported = a.reportTask.get(x.name) as TaskReport;
    ensure(x.cancellingCount <= 1, () => `[P1 stop order] ${x.name} signalled twice`);
    // The report's signal time, the engine's event and the task's own abort listener agree.
    same(
      reported.signalledAtMs,
      x.cancelling === undefined ? undefined : x.cancelling.t - run.t0,
      () => `[P1 stop order] signalledAtMs of ${x.name}`,
    );
    if (x.spec.readsSignal) {
      same(
        x.abort?.seq,
        x.cancelling === undefined ? undefined : x.cancelling.seq + 1,
        () => `[P1 stop order] ${x.name}'s abort listener fires when it is signalled`,
      );
    }
    const c = x.cancelling;
    if (c === undefined) {
      // Never signalled: it must have ended before its wave started (or before TERMINATE).
      ensure(a.ended(x), () => `[P1 stop order] ${x.name} neither signalled nor ended`);
      const final = x.final as Note;
      const terminate = a.entry(ShutdownPhase.TERMINATE);
      ensure(
        terminate === undefined || final.seq < terminate.seq,
        () => `[P1 stop order] ${x.name} was still running at TERMINATE but never signalled`,
      );
      const start = a.expectedStart(wave);
      ensure(
        final.t <= start,
        () =>
          `[P1 stop order] ${x.name} (wave ${wave}) was still running when its wave started ` +
          `at ${a.at(start)}, but never signalled (ended ${a.at(final.t)})`,
      );
      continue;
    }
    const what = `${x.name} (wave ${wave}) signalled`;
    ensure(
      c.seq > run.shutdownSeq && c.t <= a.finishT,
      () => `[P1 stop order] ${what} outside the shutdown`,
    );
    ensure(!a.endedBefore(x, c.seq), () => `[P1 stop order] ${what} after it had already ended`);
    const phase = a.phaseAt(c.seq);
    ensure(phase !== undefined, () => `[P1 stop order] ${what} during the drain delay`);
    if (x.spec.readsSignal) {
      const reason = x.abort?.ev.reason;
      ensure(
        reason instanceof CancelledError && reason.phase === phase && reason.reason === REASON,
        () => `[P1 stop order] ${x.name}'s abort reason is a CancelledError of phase ${phase}`,
      );
    }
    if (phase === ShutdownPhase.TERMINATE) {
      atTerminate(c.seq, c.t, what);
      continue;
    }
    const check = phase === ShutdownPhase.GRACEFUL ? strict : weak;
    dependentsBefore(x.name, c.seq, c.t, what, check);
    for (const y of a.planTasks()) {
      if ((a.wave.get(y.name) as number) < wave) check(c.seq, c.t, what, y);
    }
    hooksBefore(c.seq, c.t, what, wave);
    // And a wave starts as soon as the previous one is released: no idle wait.
    const start = a.expectedStart(wave);
    same(c.t - run.t0, start - run.t0, () => `[P1 stop order] ${what}: time of its wave's start`);
  }

  for (const h of a.allHooks()) {
    const wave = a.wave.get(h.name) as number;
    const call = h.calls[0];
    ensure(call !== undefined, () => `[P1 stop order] hook ${h.name} never ran`);
    const what = `hook ${h.name} (wave ${wave}) started`;
    ensure(
      call.seq > run.shutdownSeq && call.t <= a.finishT,
      () => `[P1 stop order] ${what} outside the shutdown`,
    );
    const phase = a.phaseAt(call.seq);
    ensure(phase !== undefined, () => `[P1 stop order] ${what} during the drain delay`);
    if (phase === ShutdownPhase.TERMINATE) {
      atTerminate(call.seq, call.t, what);
      continue;
    }
    const check = phase === ShutdownPhase.GRACEFUL ? strict : weak;
    dependentsBefore(h.name, call.seq, call.t, what, check);
    // Hooks run after the tasks of their own wave.
    for (const y of a.planTasks()) {
      if ((a.wave.get(y.name) as number) <= wave) check(call.seq, call.t, what, y);
    }
    hooksBefore(call.seq, call.t, what, wave);
    const start = a.expectedStart(wave, true);
    same(call.t - run.t0, start - run.t0, () => `[P1 stop order] ${what}: time of its start`);
  }
}

/** P2: every cleanup runs exactly once, after its task ended unless forced; honest outcome. */
function checkCleanups(a: Analysis): void {
  const { run } = a;
  for (const task of a.tasks.values()) {
    if (task.spec.cleanup === null) {
      same(task.cleanupCalls.length, 0, () => `[P2 cleanup] ${task.name} has no cleanup`);
      continue;
    }
    same(task.cleanupCalls.length, 1, () => `[P2 cleanup] calls of ${task.name}'s cleanup`);
    const call = task.cleanupCalls[0];
    ensure(
      call.seq < a.resolvedSeq,
      () => `[P2 cleanup] ${task.name}'s cleanup ran only after the shutdown resolved`,
    );
    const info = call.ev.info as CleanupSnapshot;
    same(info.phase, a.phaseAt(call.seq), () => `[P2 cleanup] info.phase of ${task.name}`);
    if (!info.forced) {
      // Not forced: after the task ended, at once, seeing its final state.
      ensure(
        a.endedBefore(task, call.seq),
        () => `[P2 cleanup] ${task.name}'s cleanup started before the task ended (not forced)`,
      );
      const final = task.final as Note & { state: TaskState };
      same(call.t, final.t, () => `[P2 cleanup] ${task.name}'s cleanup runs when the task ends`);
      same(info.state, final.state, () => `[P2 cleanup] info.state of ${task.name}`);
      same(info.hasError, final.state === TaskState.FAILED, () => `[P2 cleanup] info.error`);
    } else {
      // Forced: only in FORCEFUL / TERMINATE, at the phase's entry, for a signalled running task.
      ensure(
        info.phase === ShutdownPhase.FORCEFUL || info.phase === ShutdownPhase.TERMINATE,
        () => `[P2 cleanup] ${task.name}'s cleanup forced in phase ${String(info.phase)}`,
      );
      const entry = a.entry(info.phase) as { seq: number; t: number };
      same(call.t, entry.t, () => `[P2 cleanup] ${task.name}'s forced cleanup at phase entry`);
      ensure(
        !a.endedBefore(task, call.seq),
        () => `[P2 cleanup] ${task.name}'s cleanup forced although the task had ended`,
      );
      same(info.state, TaskState.CANCELLING, () => `[P2 cleanup] info.state of ${task.name}`);
      ensure(
        task.cancelling !== undefined &&
          task.cancelling.seq < call.seq &&
          (info.phase === ShutdownPhase.TERMINATE || task.cancelling.seq < entry.seq),
        () => `[P2 cleanup] ${task.name}'s cleanup forced before the task was signalled`,
      );
    }
    same(
      info.hasReason,
      task.cancelling !== undefined && task.cancelling.seq < call.seq,
      () => `[P2 cleanup] info.reason of ${task.name}`,
    );
    if (!a.inPlan.has(task.name)) continue;

    // Forcing is complete: FORCEFUL forces every signalled task still running at its entry,
    // TERMINATE every task still running.
    const forceful = a.entry(ShutdownPhase.FORCEFUL);
    if (
      forceful !== undefined &&
      task.cancelling !== undefined &&
      task.cancelling.seq < forceful.seq &&
      !a.endedBefore(task, forceful.seq)
    ) {
      ensure(
        info.forced && call.t === forceful.t,
        () => `[P2 cleanup] ${task.name} was stuck at FORCEFUL but its cleanup was not forced`,
      );
    }
    const terminate = a.entry(ShutdownPhase.TERMINATE);
    if (terminate !== undefined && !a.endedBefore(task, terminate.seq)) {
      ensure(
        info.forced && call.t <= terminate.t,
        () => `[P2 cleanup] ${task.name} was running at TERMINATE but its cleanup was not forced`,
      );
    }

    // The reported outcome is what the cleanup did within its deadline.
    const reported = (a.reportTask.get(task.name) as TaskReport).cleanup;
    ensure(reported !== undefined, () => `[P2 cleanup] report has no cleanup for ${task.name}`);
    checkCallbackOutcome(
      a,
      `cleanup of ${task.name}`,
      task.spec.cleanup,
      call,
      task.cleanupDone,
      a.cleanupTimeout(task),
      reported,
    );
  }
  for (const hook of a.allHooks()) {
    same(hook.calls.length, 1, () => `[P2 cleanup] calls of hook ${hook.name}`);
    const reported = a.report.hooks.find((h) => h.name === hook.name);
    ensure(reported !== undefined, () => `[P2 cleanup] report has no hook ${hook.name}`);
    same(
      reported.startedAtMs,
      hook.calls[0].t - run.t0,
      () => `[P2 cleanup] startedAtMs of hook ${hook.name}`,
    );
    checkCallbackOutcome(
      a,
      `hook ${hook.name}`,
      hook.spec.fn,
      hook.calls[0],
      hook.done,
      a.hookTimeout(hook),
      reported,
    );
    same(
      hook.end?.outcome,
      reported.outcome,
      () => `[P2 cleanup] hook event outcome of ${hook.name}`,
    );
    same(
      hook.end === undefined ? undefined : hook.end.t - hook.calls[0].t,
      reported.durationMs,
      () => `[P2 cleanup] hook end event time of ${hook.name}`,
    );
  }
}

function checkCallbackOutcome(
  a: Analysis,
  what: string,
  spec: CallbackSpec,
  call: Note,
  done: Note<Extract<Ev, { k: 'done' }>> | undefined,
  timeoutMs: number,
  reported: { outcome: string; durationMs: number; error?: string },
): void {
  const deadline = a.deadline(call.t, timeoutMs);
  const finished = done !== undefined && done.ev.how !== 'obey' && done.t <= deadline;
  if (finished && reported.outcome !== 'timeout') {
    same(reported.outcome, done.ev.how === 'ok' ? 'ok' : 'failed', () => `[P2 cleanup] ${what}`);
    same(reported.durationMs, done.t - call.t, () => `[P2 cleanup] duration of ${what}`);
    same(
      reported.error === undefined,
      done.ev.how === 'ok',
      () => `[P2 cleanup] error of ${what}: ${String(reported.error)}`,
    );
    return;
  }
  // Timed out: it had not finished by its deadline (a tie with the deadline may go either way).
  same(reported.outcome, 'timeout', () => `[P2 cleanup] ${what} (${spec.mode}) outcome`);
  ensure(
    done === undefined || done.ev.how === 'obey' || done.t >= deadline,
    () => `[P2 cleanup] ${what} finished in time but is reported as timed out`,
  );
  if (spec.mode === 'obey') {
    // Its own signal aborts exactly at its deadline — never earlier (the task's cancel does not
    // touch it) — and a callback that obeys it is no late failure.
    same(done?.t, deadline, () => `[P2 cleanup] ${what}: its own signal aborted at its deadline`);
  }
  same(reported.durationMs, deadline - call.t, () => `[P2 cleanup] duration of ${what}`);
  ensure(
    reported.error?.startsWith('TimeoutError') === true,
    () => `[P2 cleanup] error of ${what}: ${String(reported.error)}`,
  );
}

/** P3: the shutdown ends within drainDelayMs + the three budgets, however the tasks behave. */
function checkDuration(a: Analysis): void {
  const { run, report } = a;
  const bound = budgetSum(a.options) + SLACK_MS;
  ensure(
    a.resolvedAt - run.t0 <= bound,
    () => `[P3 time bound] resolved after ${a.resolvedAt - run.t0} ms > ${bound} ms`,
  );
  same(report.durationMs, a.resolvedAt - run.t0, () => '[P3 time bound] report.durationMs');
  same(report.finished, true, () => '[P3 time bound] report.finished');
  // Each phase keeps to its budget, and the phases are the ones the engine announced.
  same(
    report.phases.map((p) => p.phase),
    a.phases.map((p) => p.phase),
    () => '[P3 time bound] phases',
  );
  same(report.phaseReached, a.phases[a.phases.length - 1]?.phase, () => '[P3] phaseReached');
  report.phases.forEach((p, i) => {
    const startT = a.phases[i].t;
    const endT = i + 1 < a.phases.length ? a.phases[i + 1].t : a.finishT;
    same(p.elapsedMs, endT - startT, () => `[P3 time bound] elapsedMs of ${p.phase}`);
    ensure(p.elapsedMs <= p.budgetMs, () => `[P3 time bound] ${p.phase} overran its budget`);
    const budget =
      p.phase === ShutdownPhase.GRACEFUL
        ? a.options.gracefulMs
        : p.phase === ShutdownPhase.FORCEFUL
          ? a.options.forcefulMs
          : a.options.terminateMs;
    same(p.budgetMs, budget, () => `[P3 time bound] budgetMs of ${p.phase}`);
    if (p.endedBy === 'budget') {
      same(p.elapsedMs, p.budgetMs, () => `[P3 time bound] ${p.phase} ended by budget`);
    }
  });
  // Phases only move forward; the first is where shutdown() asked to start, or FORCEFUL when
  // escalate() cut the drain delay short; the drain delay is skipped when starting later.
  a.phases.forEach((p, i) => {
    if (i > 0) {
      ensure(
        PHASE_NAMES.indexOf(p.phase) === PHASE_NAMES.indexOf(a.phases[i - 1].phase) + 1,
        () => `[P3 time bound] ${a.phases[i - 1].phase} → ${p.phase}`,
      );
    }
    const previous = run.notes[p.seq - 1];
    if (p.by === 'escalate') {
      ensure(previous?.ev.k === 'escalate', () => `[P3] ${p.phase} entered by escalate()`);
    }
    if (p.by === 'budget') {
      const prior = a.phases[i - 1];
      ensure(
        prior !== undefined && p.t === prior.t + report.phases[i - 1].budgetMs,
        () => `[P3] ${p.phase} entered when the previous budget was spent`,
      );
    }
  });
  const first = a.phases[0];
  ensure(first !== undefined, () => '[P3 time bound] no phase was entered');
  const startPhase = run.scenario.startPhase ?? ShutdownPhase.GRACEFUL;
  if (first.by === 'start') {
    same(first.phase, startPhase, () => '[P3] first phase');
    same(
      first.t - run.t0,
      startPhase === ShutdownPhase.GRACEFUL ? a.options.drainDelayMs : 0,
      () => '[P3] drain delay',
    );
  } else {
    same([first.by, first.phase], ['escalate', ShutdownPhase.FORCEFUL], () => '[P3] first phase');
    ensure(first.t - run.t0 <= a.options.drainDelayMs, () => '[P3] drain cut short');
  }
  same(report.drainMs, first.t - run.t0, () => '[P3 time bound] drainMs');
}

/** P4: the counts add up, and each state is what the task did (DESIGN §4 "Final states"). */
function checkCounts(a: Analysis): void {
  const { run, report } = a;
  same(report.total, report.tasks.length, () => '[P4 counts] total');
  same(
    report.completed + report.cancelled + report.failed + report.abandoned,
    report.total,
    () => '[P4 counts] completed + cancelled + failed + abandoned',
  );
  const count = (state: TaskState): number => report.tasks.filter((t) => t.state === state).length;
  same(report.completed, count(TaskState.COMPLETED), () => '[P4 counts] completed');
  same(report.cancelled, count(TaskState.CANCELLED), () => '[P4 counts] cancelled');
  same(report.failed, count(TaskState.FAILED), () => '[P4 counts] failed');
  same(report.abandoned, count(TaskState.ABANDONED), () => '[P4 counts] abandoned');

  for (const x of a.planTasks()) {
    const reported = a.reportTask.get(x.name) as TaskReport;
    same(x.finalCount, 1, () => `[P4 counts] final state changes of ${x.name}`);
    const final = x.final as Note & { state: TaskState };
    same(reported.state, final.state, () => `[P4 counts] state of ${x.name} vs its event`);
    let expected: TaskState;
    if (final.state === TaskState.ABANDONED) {
      // Still running when the shutdown stopped waiting (it ignores its signal, or is slow).
      ensure(
        x.settle === undefined || x.settle.t >= a.finishT,
        () => `[P4 counts] ${x.name} settled at ${a.at(x.settle?.t ?? 0)} but is abandoned`,
      );
      same(final.t, a.finishT, () => `[P4 counts] ${x.name} abandoned when the shutdown ended`);
      expected = TaskState.ABANDONED;
    } else {
      const settle = x.settle;
      ensure(
        settle !== undefined && settle.seq < final.seq && settle.t === final.t,
        () => `[P4 counts] ${x.name} is ${final.state} but did not settle then`,
      );
      const signalledFirst = x.cancelling !== undefined && x.cancelling.seq < final.seq;
      if (settle.ev.how === 'error') expected = TaskState.FAILED;
      else if (settle.ev.how === 'cancel') expected = TaskState.CANCELLED;
      else expected = signalledFirst ? TaskState.CANCELLED : TaskState.COMPLETED;
    }
    same(reported.state, expected, () => `[P4 counts] state of ${x.name}`);
    // The report's timeline fields.
    const duringShutdown = a.ended(x) && final.seq > run.shutdownSeq;
    same(
      reported.endedAtMs,
      duringShutdown ? final.t - run.t0 : undefined,
      () => `[P4 counts] endedAtMs of ${x.name}`,
    );
    same(
      reported.endedIn,
      duringShutdown ? a.phaseAt(final.seq) : undefined,
      () => `[P4 counts] endedIn of ${x.name}`,
    );
    same(
      reported.stopMs,
      duringShutdown && x.cancelling !== undefined ? final.t - x.cancelling.t : undefined,
      () => `[P4 counts] stopMs of ${x.name}`,
    );
    same(
      reported.error?.startsWith('Error: '),
      reported.state === TaskState.FAILED ? true : undefined,
      () => `[P4 counts] error of ${x.name}`,
    );
  }
  // phases[].ended: the tasks that ended in each phase.
  report.phases.forEach((p, i) => {
    const from = a.phases[i].seq;
    const to = i + 1 < a.phases.length ? a.phases[i + 1].seq : a.resolvedSeq;
    const ended = a
      .planTasks()
      .filter((x) => a.ended(x) && (x.final as Note).seq > from && (x.final as Note).seq < to);
    same(p.ended, ended.length, () => `[P4 counts] phases[${p.phase}].ended`);
  });
  // outcome: terminated when something was given up on; clean only within GRACEFUL and with
  // every cleanup and hook within its deadline.
  let expiredSure = 0;
  let expiredMaybe = 0;
  const expired = (start: number, timeoutMs: number, outcome: string, durationMs: number): void => {
    if (outcome !== 'timeout' || start + durationMs !== a.finishT) return;
    if (start + timeoutMs > a.finishT) expiredSure++;
    else expiredMaybe++;
  };
  for (const x of a.planTasks()) {
    const c = a.reportTask.get(x.name)?.cleanup;
    if (c !== undefined && x.cleanupCalls[0] !== undefined) {
      expired(x.cleanupCalls[0].t, a.cleanupTimeout(x), c.outcome, c.durationMs);
    }
  }
  for (const h of a.allHooks()) {
    const r = report.hooks.find((hr) => hr.name === h.name);
    if (r !== undefined && h.calls[0] !== undefined) {
      expired(h.calls[0].t, a.hookTimeout(h), r.outcome, r.durationMs);
    }
  }
  // A cleanup or hook over its deadline makes it at least forced.
  const overBudget =
    report.tasks.some((t) => t.cleanup?.outcome === 'timeout') ||
    report.hooks.some((h) => h.outcome === 'timeout');
  const notTerminated =
    report.phaseReached === ShutdownPhase.GRACEFUL && !overBudget ? 'clean' : 'forced';
  const terminated = report.abandoned > 0 || expiredSure > 0;
  const allowed = terminated
    ? ['terminated']
    : expiredMaybe > 0
      ? ['terminated', notTerminated]
      : [notTerminated];
  ensure(
    allowed.includes(report.outcome),
    () => `[P4 counts] outcome ${report.outcome}, expected one of ${allowed.join(', ')}`,
  );
}

/** P5: no timer left behind, one report, late failures recorded (none unhandled). */
function checkLeaks(a: Analysis): void {
  const { run } = a;
  const resolved = run.resolved as NonNullable<Run['resolved']>;
  same(
    resolved.timerCount - resolved.ownTimerCount,
    0,
    () => '[P5 leaks] engine timers still pending when the shutdown resolved',
  );
  same(run.timersAfterAll, 0, () => '[P5 leaks] timers left after the test timers ran');
  same(resolved.reportAgain, resolved.report, () => '[P5 leaks] getReport() = shutdown() result');
  const finalReport = run.finalReport as ShutdownReport;
  same(
    { ...finalReport, lateFailures: [] },
    { ...resolved.report, lateFailures: [] },
    () => '[P5 leaks] the final report does not change after the shutdown',
  );
  // Work the shutdown gave up on that failed afterwards is recorded, never unhandled.
  const expected: string[] = [];
  for (const x of a.planTasks()) {
    if (x.final?.state === TaskState.ABANDONED && x.settle?.ev.how === 'error') {
      expected.push(x.name);
    }
  }
  const lateCallback = (
    label: string,
    done: Note<Extract<Ev, { k: 'done' }>> | undefined,
    outcome: string | undefined,
  ): void => {
    if (outcome === 'timeout' && done?.ev.how === 'error' && done.seq > run.shutdownSeq) {
      expected.push(label);
    }
  };
  for (const x of a.planTasks()) {
    lateCallback(`cleanup of ${x.name}`, x.cleanupDone, a.reportTask.get(x.name)?.cleanup?.outcome);
  }
  for (const h of a.allHooks()) {
    lateCallback(`hook ${h.name}`, h.done, a.report.hooks.find((r) => r.name === h.name)?.outcome);
  }
  same(
    finalReport.lateFailures.map((f) => f.name).sort(),
    expected.sort(),
    () => '[P5 leaks] lateFailures',
  );
}

/**
 * Shrunk counterexamples found by these properties, always run first: hooks started after the
 * shutdown had finished (TERMINATE at once, a synchronous hook first: the runner concluded inside
 * the batch, the next hook ran after it, missing from the report, its deadline timer left
 * behind); and two ties the model must get right (escalate() in the same millisecond as a task's
 * end; a callback finishing in the millisecond of its deadline).
 */
const KNOWN_CASES: [Scenario][] = [
  [
    {
      options: {
        gracefulMs: 200,
        forcefulMs: 50,
        terminateMs: 50,
        cleanupTimeoutMs: 120,
        drainDelayMs: 0,
        progressIntervalMs: 0,
      },
      nodes: [
        { kind: 'hook', priority: 0, fn: { mode: 'obey', ms: 0 }, timeoutMs: null, deps: [] },
        { kind: 'hook', priority: 0, fn: { mode: 'sync', ms: 0 }, timeoutMs: null, deps: [0] },
      ],
      startAfterMs: 0,
      startPhase: ShutdownPhase.TERMINATE,
      escalateAtMs: [],
    },
  ],
  [
    {
      options: {
        gracefulMs: 200,
        forcefulMs: 50,
        terminateMs: 50,
        cleanupTimeoutMs: 120,
        drainDelayMs: 161,
        progressIntervalMs: 0,
      },
      nodes: [
        {
          kind: 'task',
          priority: 0,
          behaviour: { type: 'fail-on-signal', afterMs: 0 },
          readsSignal: true,
          cleanup: null,
          cleanupTimeoutMs: null,
          deps: [],
        },
        {
          kind: 'task',
          priority: 0,
          behaviour: { type: 'honour', afterMs: 50, end: 'reason' },
          readsSignal: true,
          cleanup: null,
          cleanupTimeoutMs: null,
          deps: [0],
        },
      ],
      startAfterMs: 0,
      startPhase: null,
      escalateAtMs: [211],
    },
  ],
  [
    {
      options: {
        gracefulMs: 200,
        forcefulMs: 50,
        terminateMs: 50,
        cleanupTimeoutMs: 120,
        drainDelayMs: 0,
        progressIntervalMs: 0,
      },
      nodes: [
        { kind: 'hook', priority: 0, fn: { mode: 'reject', ms: 1 }, timeoutMs: 1, deps: [] },
        {
          kind: 'task',
          priority: 0,
          behaviour: { type: 'fail-on-signal', afterMs: 0 },
          readsSignal: true,
          cleanup: { mode: 'obey', ms: 0 },
          cleanupTimeoutMs: null,
          deps: [],
        },
      ],
      startAfterMs: 0,
      startPhase: null,
      escalateAtMs: [0],
    },
  ],
];

const ALL_CHECKS = [
  checkWaves,
  checkStopOrder,
  checkCleanups,
  checkDuration,
  checkCounts,
  checkLeaks,
];

async function holds(
  scenario: Scenario,
  checks: readonly ((a: Analysis) => void)[],
): Promise<Analysis> {
  const run = await runScenario(scenario);
  const analysis = new Analysis(run);
  for (const check of checks) check(analysis);
  return analysis;
}

// ---------------------------------------------------------------------------------------------

describe('shutdown — properties over random tasks, hooks and escalations', () => {
  const runs = 300;

  it.each([
    [
      'P1: a task is signalled only after its dependents and all earlier waves were released',
      checkStopOrder,
    ],
    ['P2: every cleanup runs exactly once, after its task ended unless forced', checkCleanups],
    ['P3: the shutdown ends within drainDelayMs + the three budgets', checkDuration],
    ['P4: the report counts add up and each state is what the task did', checkCounts],
    ['P5: no timer is left behind and late failures are recorded, never unhandled', checkLeaks],
    [
      'P6: waves follow priorities and dependencies; the report lists them in stop order',
      checkWaves,
    ],
  ])(
    '%s',
    async (_title, check) => {
      await fc.assert(
        fc.asyncProperty(randomScenarioArb, async (s) => {
          await holds(s, [check]);
        }),
        { numRuns: runs, examples: KNOWN_CASES },
      );
    },
    TEST_TIMEOUT_MS,
  );
});

describe('shutdown — properties when every task honours its signal in time', () => {
  it(
    'stays in GRACEFUL: strict wave order, nothing forced or abandoned, outcome clean',
    async () => {
      await fc.assert(
        fc.asyncProperty(gracefulScenarioArb, async (s) => {
          const a = await holds(s, ALL_CHECKS);
          same(a.report.outcome, 'clean', () => 'outcome');
          same(
            a.report.phases.map((p) => [p.phase, p.endedBy]),
            [[ShutdownPhase.GRACEFUL, 'done']],
            () => 'phases',
          );
          same(a.report.abandoned, 0, () => 'abandoned');
          for (const x of a.tasks.values()) {
            same(x.cleanupCalls[0]?.ev.info?.forced ?? false, false, () => `${x.name} forced`);
          }
          expect(a.report.tasks.every((t) => t.cleanup?.outcome !== 'timeout')).toBe(true);
        }),
        { numRuns: 120 },
      );
    },
    TEST_TIMEOUT_MS,
  );
});
