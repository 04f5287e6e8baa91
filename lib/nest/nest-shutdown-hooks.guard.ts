import type { INestApplicationContext } from '@nestjs/common';
import { ownValue, patchInstanceMethod } from './instance-patch.js';

type Listener = (...args: unknown[]) => unknown;

/**
 * Removes the process listeners that Nest's `app.enableShutdownHooks()` added for `signals`,
 * and returns the signals it removed them from. Nest keeps them on the application: Nest 12 in
 * `shutdownCleanupRefs` (signal → listener), Nest 11 as one `shutdownCleanupRef` listening to
 * `activeShutdownSignals`. Left in place, Nest's listener closes the app
 * a second time (Nest 11 runs every destroy hook twice) and re-raises the signal once done, so
 * that a clean shutdown exits 143 instead of 0.
 */
export function removeNestSignalListeners(
  app: INestApplicationContext,
  signals: readonly string[],
): string[] {
  const removed: string[] = [];
  const refs = ownValue(app, 'shutdownCleanupRefs');
  if (refs instanceof Map) {
    for (const signal of signals) {
      const listener: unknown = refs.get(signal);
      if (typeof listener !== 'function') continue;
      process.removeListener(signal, listener as Listener);
      refs.delete(signal);
      removed.push(signal);
    }
    return removed;
  }
  const active = ownValue(app, 'activeShutdownSignals');
  const listener = ownValue(app, 'shutdownCleanupRef');
  if (Array.isArray(active) && typeof listener === 'function') {
    for (const signal of signals) {
      const index = active.indexOf(signal);
      if (index < 0) continue;
      process.removeListener(signal, listener as Listener);
      active.splice(index, 1);
      removed.push(signal);
    }
  }
  return removed;
}

/**
 * Keeps Nest's `app.enableShutdownHooks()` from ever listening to `signals` beside
 * `enableLifecycleShutdown(app)`: the listeners it already added are removed now, and a later
 * call is followed by the same removal. `onRemoved` hears which signals were taken each time.
 * Returns what puts `enableShutdownHooks` back.
 */
export function guardNestShutdownHooks(
  app: INestApplicationContext,
  signals: readonly string[],
  onRemoved: (signals: string[]) => void,
): () => void {
  const removed = removeNestSignalListeners(app, signals);
  if (removed.length > 0) onRemoved(removed);
  const restore = patchInstanceMethod(
    app,
    'enableShutdownHooks',
    (original) =>
      function guardedEnableShutdownHooks(this: unknown, ...args: unknown[]): unknown {
        const result = original.apply(this, args);
        const taken = removeNestSignalListeners(app, signals);
        if (taken.length > 0) onRemoved(taken);
        return result;
      },
  );
  return restore ?? (() => undefined);
}
