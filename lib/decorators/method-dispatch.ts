/** How a decorated method runs once the explorer has bound it to an instance. */
export type BoundCall = (
  instance: object,
  original: (...args: unknown[]) => unknown,
  args: unknown[],
) => unknown;

/**
 * What installed a dispatching layer: `@ManagedTask({ start: 'call' })`, `@CancellationSafe`, or
 * the schedule intake on a `@Cron` / `@Interval` / `@Timeout` method.
 */
export type DispatchKind = 'managed-task' | 'cancellation-safe' | 'schedule-tick';

const BINDINGS = Symbol('async-lifecycle:bindings');
const ORIGINAL = Symbol('async-lifecycle:original');
const KIND = Symbol('async-lifecycle:kind');

/** A method replaced by a decorator: it runs the original until the explorer binds it. */
export interface DispatchingMethod {
  (this: unknown, ...args: unknown[]): unknown;
  readonly [BINDINGS]: WeakMap<object, BoundCall>;
  readonly [ORIGINAL]: (...args: unknown[]) => unknown;
  readonly [KIND]: DispatchKind;
}

/**
 * Replaces `descriptor.value` with a method that dispatches to what the explorer bound for the
 * instance, and to the original method otherwise (an instance the explorer never saw).
 *
 * Why a wrapper at decoration time rather than patching instances at bootstrap: Nest captures
 * route handlers (`instance[method]`) before `onModuleInit`, so a later patch would miss them.
 */
export function installDispatch(
  descriptor: PropertyDescriptor,
  kind: DispatchKind,
): DispatchingMethod {
  const original = descriptor.value as (...args: unknown[]) => unknown;
  const bindings = new WeakMap<object, BoundCall>();
  const dispatching = function (this: unknown, ...args: unknown[]): unknown {
    const bound = typeof this === 'object' && this !== null ? bindings.get(this) : undefined;
    return bound === undefined ? original.apply(this, args) : bound(this as object, original, args);
  } as DispatchingMethod;
  Object.defineProperties(dispatching, {
    name: { value: original.name },
    length: { value: original.length },
    [BINDINGS]: { value: bindings },
    [ORIGINAL]: { value: original },
    [KIND]: { value: kind },
  });
  // Decorators applied before this one (route, guard, … metadata) stay visible on the method.
  if (typeof Reflect.getMetadataKeys === 'function') {
    for (const key of Reflect.getMetadataKeys(original) as unknown[]) {
      Reflect.defineMetadata(key, Reflect.getMetadata(key, original), dispatching);
    }
  }
  descriptor.value = dispatching;
  return dispatching;
}

/** Whether `fn` is a dispatching layer installed by a decorator. */
export function isDispatching(fn: unknown): fn is DispatchingMethod {
  return typeof fn === 'function' && BINDINGS in fn;
}

/** The dispatching layers of a method, outermost first. */
export function dispatchLayers(method: unknown): DispatchingMethod[] {
  const layers: DispatchingMethod[] = [];
  for (let fn = method; isDispatching(fn); fn = fn[ORIGINAL]) layers.push(fn);
  return layers;
}

/** The decorator that installed `layer`. */
export function layerKind(layer: DispatchingMethod): DispatchKind {
  return layer[KIND];
}

/** The method as written, under every dispatching layer. */
export function rootMethod(method: unknown): unknown {
  let fn = method;
  while (isDispatching(fn)) fn = fn[ORIGINAL];
  return fn;
}

/** Binds one layer of a method for one instance. */
export function bindLayer(layer: DispatchingMethod, instance: object, call: BoundCall): void {
  layer[BINDINGS].set(instance, call);
}
