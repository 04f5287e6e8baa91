/** A method as `patchInstanceMethod` hands it to its wrapper. */
export type PatchedMethod = (this: unknown, ...args: unknown[]) => unknown;

/** A property's descriptor on `target` or the nearest prototype that has it. */
function findDescriptor(target: object, name: string): PropertyDescriptor | undefined {
  for (let at: object | null = target; at !== null; at = Reflect.getPrototypeOf(at)) {
    const descriptor = Reflect.getOwnPropertyDescriptor(at, name);
    if (descriptor !== undefined) return descriptor;
  }
  return undefined;
}

/**
 * Replaces method `name` of one instance by `wrap(original)`, as an own property, and returns
 * what puts it back — or `undefined` when the instance has no such method.
 *
 * Made for Nest applications, which `NestFactory` hands out behind a Proxy whose `get` wraps
 * every method read and whose `set` ignores assignments: descriptors and `defineProperty` are
 * not trapped, so the original is read and the wrapper defined on the instance itself, where
 * Nest's own calls (`this.init()` inside `listen()`) find it too.
 */
export function patchInstanceMethod(
  instance: object,
  name: string,
  wrap: (original: PatchedMethod) => PatchedMethod,
): (() => void) | undefined {
  const own = Reflect.getOwnPropertyDescriptor(instance, name);
  const original: unknown = findDescriptor(instance, name)?.value;
  if (typeof original !== 'function') return undefined;
  Reflect.defineProperty(instance, name, {
    configurable: true,
    writable: true,
    enumerable: false,
    value: wrap(original as PatchedMethod),
  });
  return () => {
    if (own === undefined) Reflect.deleteProperty(instance, name);
    else Reflect.defineProperty(instance, name, own);
  };
}

/**
 * Reads an instance's own data property without going through a Proxy's `get` (which would hand
 * out a wrapper instead of a function stored there).
 */
export function ownValue(instance: object, name: string): unknown {
  return Reflect.getOwnPropertyDescriptor(instance, name)?.value;
}
