/** A promise settled from outside: drives task completion in tests without real time. */
export interface TestDeferred<T = void> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(error: unknown): void;
  settled: boolean;
}

export function deferred<T = void>(): TestDeferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const d = { settled: false } as TestDeferred<T>;
  d.promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  d.resolve = (value) => {
    d.settled = true;
    resolve(value);
  };
  d.reject = (error) => {
    d.settled = true;
    reject(error);
  };
  return d;
}

/** Resolves when `signal` aborts, rejecting with its reason: a task that honours its signal. */
export function untilAborted(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
}

/** Lets every queued microtask and promise reaction run. */
export async function flushMicrotasks(rounds = 10): Promise<void> {
  for (let i = 0; i < rounds; i++) await Promise.resolve();
}
