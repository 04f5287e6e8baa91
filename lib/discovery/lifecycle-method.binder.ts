import { CallTaskTemplate } from '../core/call-task-template.js';
import { createCallTask, type LifecycleCoordinator } from '../core/lifecycle-coordinator.js';
import type { LifecycleLogger } from '../core/lifecycle-logger.interface.js';
import { describeError } from '../core/describe.js';
import type { TaskRecord } from '../core/task-record.js';
import {
  bindLayer,
  dispatchLayers,
  layerKind,
  rootMethod,
  type DispatchKind,
  type DispatchingMethod,
} from '../decorators/method-dispatch.js';
import {
  cancellationSafeCall,
  type CancellationSafeMethodOptions,
} from '../primitives/cancellation-safe.js';
import type { CancellationSafeDeclaration } from './cancellation-safe.validator.js';
import type { CleanupReference } from './declaration-checks.js';
import type { ManagedTaskDeclaration } from './managed-task.validator.js';

type Method = (...args: unknown[]) => unknown;

/** The coordinator a `start: 'call'` method's calls become tasks of. */
export type CallTaskCoordinator = LifecycleCoordinator;

function noop(): void {}

function isAsyncFunction(fn: unknown): boolean {
  return Object.prototype.toString.call(fn) === '[object AsyncFunction]';
}

// Same test as the engine's; not imported, the engine's file being a core internal.
function isThenable(value: unknown): boolean {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

function layerOf(method: unknown, kind: DispatchKind): DispatchingMethod | undefined {
  return dispatchLayers(method).find((layer) => layerKind(layer) === kind);
}

/**
 * A cleanup reference made callable on `instance`. A method name is looked up at each call, so
 * the method the instance has then (a test's spy, a later patch) is what runs.
 *
 * @example
 * cleanupOf(service, 'unlock')(key); // service.unlock(key)
 */
export function cleanupOf(instance: object, cleanup: CleanupReference): Method {
  if (typeof cleanup === 'function') return (cleanup as Method).bind(instance);
  const target = instance as Record<string, Method>;
  return (...args: unknown[]) => target[cleanup].apply(instance, args);
}

// How the method ended inside the task, when it ended synchronously.
const PENDING = 0;
const RETURNED = 1;
const THREW = 2;

/**
 * Makes every call of a `start: 'call'` method on `instance` a managed task named
 * `<name>#<n>`. A synchronous method stays synchronous (returns or throws at once); a call
 * refused because shutdown began fails the way the method would — a rejected promise for an
 * async method, a throw otherwise. A method without the `managed-task` dispatch layer is left
 * alone.
 *
 * @example
 * bindCallTask(jobs.process, jobs, validateManagedTask({ start: 'call' }, site, defaults), coordinator);
 * await jobs.process(job); // runs as the task "Jobs.process#1"
 */
export function bindCallTask(
  method: unknown,
  instance: object,
  declaration: ManagedTaskDeclaration,
  coordinator: CallTaskCoordinator,
): void {
  const layer = layerOf(method, 'managed-task');
  if (layer === undefined) return;
  const isAsync = isAsyncFunction(rootMethod(layer));
  const cleanup =
    declaration.cleanup === undefined ? undefined : cleanupOf(instance, declaration.cleanup);
  // Validated and resolved once, here: a call pays for its name and its record, not its options.
  const template = new CallTaskTemplate({
    name: declaration.name,
    priority: declaration.priority,
    dependsOn: declaration.dependsOn,
    cleanup,
    cleanupTimeoutMs: declaration.cleanupTimeoutMs,
    // The caller receives the failure: logging it too would report it twice.
    onError: declaration.onError?.bind(instance) ?? noop,
    stop: declaration.stop,
  });
  bindLayer(layer, instance, (self, original, args) => {
    let ended = PENDING as number;
    let result: unknown;
    let task: TaskRecord<unknown>;
    try {
      task = createCallTask(coordinator, template, () => {
        try {
          const value = original.apply(self, args);
          if (!isThenable(value)) {
            ended = RETURNED;
            result = value;
          }
          return value;
        } catch (error) {
          ended = THREW;
          result = error;
          throw error;
        }
      });
    } catch (error) {
      // Refused (shutdown began): the way the method itself would fail.
      if (isAsync) return Promise.reject(error);
      throw error;
    }
    // A synchronous method stays synchronous: its task already ended.
    if (ended === THREW) throw result;
    if (ended === RETURNED) return result;
    // The task's own outcome promise: `Promise.resolve(task)` would first schedule a job to
    // call the thenable's `then`, and `task.then()` chain one more promise on it — each one
    // more promise and turn of the queue per call.
    return task.outcomePromise();
  });
}

/**
 * Makes the `@CancellationSafe` method on `instance` run through `cancellationSafe()`: its
 * cleanup gets the call's arguments; a failing cleanup is logged as a warning naming the method.
 * A method without the `cancellation-safe` dispatch layer is left alone.
 *
 * @example
 * bindCancellationSafe(locks.withLock, locks, 'LockService.withLock', validateCancellationSafe(metadata, site, defaults), logger);
 */
export function bindCancellationSafe(
  method: unknown,
  instance: object,
  what: string,
  declaration: CancellationSafeDeclaration,
  logger: LifecycleLogger,
): void {
  const layer = layerOf(method, 'cancellation-safe');
  if (layer === undefined) return;
  const cleanup = cleanupOf(instance, declaration.cleanup);
  const { cleanupTimeoutMs, suppress, fallback, on } = declaration;
  // Validated once, here: a call allocates only the two thunks that hold its arguments.
  const options: CancellationSafeMethodOptions = {
    cleanupTimeoutMs,
    suppress,
    fallback,
    on,
    onCleanupError: (error: unknown): void => {
      logger.warn(`The cleanup of ${what} failed: ${describeError(error)}`);
    },
  };
  bindLayer(layer, instance, (self, original, args) =>
    cancellationSafeCall(
      () => original.apply(self, args) as PromiseLike<unknown>,
      () => cleanup.apply(self, args),
      options,
    ),
  );
}
