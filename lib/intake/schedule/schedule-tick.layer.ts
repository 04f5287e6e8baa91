import {
  dispatchLayers,
  installDispatch,
  layerKind,
  type DispatchingMethod,
} from '../../decorators/method-dispatch.js';

// The metadata keys of @nestjs/schedule's decorators (its schedule.constants.ts; the package does
// not export them, nor its SchedulerType, and they have not changed since its first release). A
// unit test checks them against the decorators themselves.
const SCHEDULER_TYPE = 'SCHEDULER_TYPE';
const SCHEDULER_NAME = 'SCHEDULER_NAME';
const OPTIONS_OF_KIND = {
  cron: 'SCHEDULE_CRON_OPTIONS',
  interval: 'SCHEDULE_INTERVAL_OPTIONS',
  timeout: 'SCHEDULE_TIMEOUT_OPTIONS',
} as const;

/** What `@nestjs/schedule` calls a method on: a cron expression, an interval or a timeout. */
export type ScheduleKind = keyof typeof OPTIONS_OF_KIND;

function metadataOf(key: string, fn: unknown): unknown {
  if (typeof fn !== 'function' || typeof Reflect.getMetadata !== 'function') return undefined;
  return Reflect.getMetadata(key, fn) as unknown;
}

/**
 * Whether a `@Cron`, `@Interval` or `@Timeout` is on `fn`.
 *
 * @example
 * isScheduled(TasksService.prototype.handleCron); // true
 */
export function isScheduled(fn: unknown): boolean {
  return metadataOf(SCHEDULER_TYPE, fn) !== undefined;
}

/**
 * Which of `@Cron`, `@Interval` and `@Timeout` is on `fn`: the one whose options it carries.
 *
 * @example
 * scheduleKindOf(TasksService.prototype.handleCron); // 'cron'
 */
export function scheduleKindOf(fn: unknown): ScheduleKind | undefined {
  if (!isScheduled(fn)) return undefined;
  for (const kind of ['cron', 'interval', 'timeout'] as const) {
    if (metadataOf(OPTIONS_OF_KIND[kind], fn) !== undefined) return kind;
  }
  return undefined;
}

/**
 * The name given to a scheduled method (`@Cron(expr, { name })`, `@Interval(name, ms)`, …),
 * its key in `SchedulerRegistry`; `undefined` when it has none.
 *
 * @example
 * scheduleNameOf(TasksService.prototype.poll); // 'poll' for @Interval('poll', 1000)
 */
export function scheduleNameOf(fn: unknown): string | undefined {
  const name = metadataOf(SCHEDULER_NAME, fn);
  return typeof name === 'string' && name !== '' ? name : undefined;
}

/** The schedule intake's layer of a method, if it has one. */
export function tickLayerOf(method: unknown): DispatchingMethod | undefined {
  return dispatchLayers(method).find((layer) => layerKind(layer) === 'schedule-tick');
}

/** Whether `method` also has `@ManagedTask({ start: 'call' })`: each call is already a task. */
export function isManagedCall(method: unknown): boolean {
  return dispatchLayers(method).some((layer) => layerKind(layer) === 'managed-task');
}

/**
 * Puts a dispatching layer on every `@Cron`, `@Interval` and `@Timeout` method of these
 * prototypes (and the prototypes they extend), once per method, for the schedule intake to bind
 * per instance at bootstrap. It must run while the application is instantiated: the scheduler
 * takes each method's function at module init and calls that very function on every tick, so a
 * layer put there later would never be called. Until bound, a layer calls the method as it is.
 * Returns how many layers were put.
 *
 * @example
 * installTickLayers([TasksService.prototype]); // 1 for one @Interval method
 */
export function installTickLayers(prototypes: Iterable<object>): number {
  let installed = 0;
  const visited = new Set<object>();
  for (const prototype of prototypes) {
    for (
      let owner: object | null = prototype;
      owner !== null && owner !== Object.prototype && !visited.has(owner);
      owner = Object.getPrototypeOf(owner) as object | null
    ) {
      visited.add(owner);
      for (const key of Object.getOwnPropertyNames(owner)) {
        if (key === 'constructor') continue;
        const descriptor = Object.getOwnPropertyDescriptor(owner, key);
        // Accessors are never scheduled (and reading one could run code); a frozen method
        // cannot take a layer: its schedule is still stopped, its ticks are not tracked.
        if (
          descriptor === undefined ||
          typeof descriptor.value !== 'function' ||
          descriptor.writable !== true ||
          descriptor.configurable !== true ||
          !isScheduled(descriptor.value) ||
          tickLayerOf(descriptor.value) !== undefined
        ) {
          continue;
        }
        installDispatch(descriptor, 'schedule-tick');
        Object.defineProperty(owner, key, descriptor);
        installed++;
      }
    }
  }
  return installed;
}

/** A scheduled method of an instance, with the layer the schedule intake binds. */
export interface ScheduledMethod {
  readonly methodName: string;
  readonly kind: ScheduleKind;
  /** The method as the instance has it (its outermost layer), with the scheduler's metadata. */
  readonly method: (...args: unknown[]) => unknown;
  /** `undefined` when no layer could be put on it at instantiation (a `useFactory` provider's). */
  readonly layer: DispatchingMethod | undefined;
}

/**
 * The `@Cron`, `@Interval` and `@Timeout` methods of `instance`, each once, as the instance
 * resolves them (what the scheduler calls).
 *
 * @example
 * for (const { layer } of scheduledMethodsOf(tasksService)) if (layer) bindLayer(layer, tasksService, run);
 */
export function scheduledMethodsOf(instance: object): ScheduledMethod[] {
  const found: ScheduledMethod[] = [];
  const names = new Set<string>();
  for (
    let owner = Object.getPrototypeOf(instance) as object | null;
    owner !== null && owner !== Object.prototype;
    owner = Object.getPrototypeOf(owner) as object | null
  ) {
    for (const key of Object.getOwnPropertyNames(owner)) {
      if (key === 'constructor' || names.has(key)) continue;
      names.add(key);
      // The instance's own property, if any, wins over the prototype: it is what the scheduler
      // took. Accessors are skipped, never read.
      const descriptor = Object.prototype.hasOwnProperty.call(instance, key)
        ? Object.getOwnPropertyDescriptor(instance, key)
        : Object.getOwnPropertyDescriptor(owner, key);
      const method: unknown = descriptor?.value;
      const kind = scheduleKindOf(method);
      if (typeof method !== 'function' || kind === undefined) continue;
      found.push({
        methodName: key,
        kind,
        method: method as (...args: unknown[]) => unknown,
        layer: tickLayerOf(method),
      });
    }
  }
  return found;
}
