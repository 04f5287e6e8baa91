import type { LifecycleCoordinator } from '../core/lifecycle-coordinator.js';

type DestroyHook = (...args: unknown[]) => unknown;

/**
 * Makes each instance's `onModuleDestroy` wait for the phased shutdown first, so that no
 * provider tears down what a managed task still uses — on application contexts too, where no
 * HTTP adapter step runs before the destroy hooks, and where this global module's own hooks run
 * last. Nest reads the hook from the instance when it calls it, so an own property wins. When
 * the shutdown already ran (a signal, the HTTP adapter's beforeClose) the wait is a resolved
 * promise.
 */
export function gateModuleDestroy(
  instances: Iterable<unknown>,
  coordinator: LifecycleCoordinator,
  exclude: ReadonlySet<unknown>,
): number {
  let gated = 0;
  for (const instance of instances) {
    if (typeof instance !== 'object' || instance === null || exclude.has(instance)) continue;
    // A frozen instance cannot take the gate; it is destroyed when Nest gets to it.
    if (!Object.isExtensible(instance)) continue;
    const target = instance as { onModuleDestroy?: unknown };
    const hook = target.onModuleDestroy;
    if (typeof hook !== 'function') continue;
    const destroy = hook as DestroyHook;
    Object.defineProperty(target, 'onModuleDestroy', {
      configurable: true,
      writable: true,
      enumerable: false,
      value: async function gatedOnModuleDestroy(this: unknown, ...args: unknown[]) {
        await coordinator.shutdown({ reason: 'close' });
        return destroy.apply(this, args);
      },
    });
    gated++;
  }
  return gated;
}
