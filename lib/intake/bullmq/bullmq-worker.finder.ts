import { isPatchableWorker, type PatchableWorker } from './bullmq-worker.interface.js';

/** What bootstrap found: the worker, and the provider it came from (for messages). */
export interface FoundWorker {
  readonly worker: PatchableWorker;
  readonly provider: string;
}

/** What the finder could not use: `@nestjs/bullmq` processors whose worker does not exist yet. */
export interface WorkerSearch {
  readonly found: FoundWorker[];
  readonly uninitialised: string[];
}

/**
 * `@nestjs/bullmq`'s `WorkerHost` prototype in `instance`'s prototype chain, if any. Found by
 * shape — a class named `WorkerHost` declaring a `worker` getter — rather than with `instanceof`:
 * that needs no import of `@nestjs/bullmq`, and survives two copies of it.
 */
function workerHostPrototype(instance: object): object | undefined {
  for (
    let proto: unknown = Object.getPrototypeOf(instance);
    typeof proto === 'object' && proto !== null && proto !== Object.prototype;
    proto = Object.getPrototypeOf(proto)
  ) {
    if (!Object.hasOwn(proto, 'constructor')) continue;
    const constructor = (proto as { constructor: unknown }).constructor;
    if (typeof constructor !== 'function' || constructor.name !== 'WorkerHost') continue;
    if (Object.getOwnPropertyDescriptor(proto, 'worker')?.get !== undefined) return proto;
  }
  return undefined;
}

function providerName(instance: object): string {
  try {
    const name: unknown = (instance.constructor as { name?: unknown } | undefined)?.name;
    return typeof name === 'string' && name !== '' ? name : 'a provider';
  } catch {
    return 'a provider';
  }
}

/**
 * The BullMQ workers among the application's singletons: the worker of each `@nestjs/bullmq`
 * processor (a class extending `WorkerHost`), and every provider that is itself a `Worker`.
 * Reads nothing it does not need, imports nothing.
 *
 * @example
 * const { found } = findBullmqWorkers(instances);
 * for (const { worker } of found) intake.attach(worker);
 */
export function findBullmqWorkers(instances: readonly object[]): WorkerSearch {
  const found: FoundWorker[] = [];
  const uninitialised: string[] = [];
  const seen = new Set<object>();
  const add = (worker: PatchableWorker, provider: string): void => {
    if (seen.has(worker)) return;
    seen.add(worker);
    found.push({ worker, provider });
  };
  for (const instance of instances) {
    if (isPatchableWorker(instance)) {
      add(instance, providerName(instance));
      continue;
    }
    let host: object | undefined;
    try {
      host = workerHostPrototype(instance);
    } catch {
      continue; // a Proxy whose traps throw is not a processor
    }
    if (host === undefined) continue;
    let worker: unknown;
    try {
      worker = Reflect.get(host, 'worker', instance);
    } catch {
      // WorkerHost throws until BullRegistrar created the worker (manualRegistration).
      uninitialised.push(providerName(instance));
      continue;
    }
    if (isPatchableWorker(worker)) add(worker, providerName(instance));
  }
  return { found, uninitialised };
}
