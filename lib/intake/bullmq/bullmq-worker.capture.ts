import { isPatchableWorker, type PatchableWorker } from './bullmq-worker.interface.js';

/**
 * The field `@nestjs/bullmq` stores a processor's worker in (`instance._worker = worker`, in its
 * `BullExplorer`, right after `new Worker(…)`; `WorkerHost.worker` reads it). Not exported by the
 * package; a test checks it against the real one.
 */
export const WORKER_FIELD = '_worker';

/** One application's processors waiting for their worker, and what to do with each. */
export interface WorkerCapture {
  /** Whether `instance` is one of this application's processors. */
  owns(instance: object): boolean;
  /** Called in the same turn as the worker's creation, before it can fetch a job. */
  attach(worker: PatchableWorker): void;
}

/** Keyed by application (its coordinator): released when its bootstrap has attached. */
const captures = new Map<object, WorkerCapture>();
/** Prototypes that have the capturing accessor already (one per class, for every application). */
const captured = new WeakSet<object>();

/**
 * Puts an accessor for {@link WORKER_FIELD} on a processor class's prototype, so that the worker
 * `@nestjs/bullmq` creates at module init is attached to its application's BullMQ intake in the
 * very turn it is created: BullMQ needs a Redis round trip before its first job, so no job
 * starts before the intake drains the worker, whatever I/O other modules' `onModuleInit` does.
 * The first assignment turns the field into a plain property of the instance. Returns whether
 * it put one (a class is done once).
 *
 * @example
 * captureWorkerField(EmailsProcessor.prototype);
 */
export function captureWorkerField(prototype: object): boolean {
  if (captured.has(prototype) || Object.hasOwn(prototype, WORKER_FIELD)) return false;
  captured.add(prototype);
  Object.defineProperty(prototype, WORKER_FIELD, {
    configurable: true,
    enumerable: false,
    // Before the explorer assigns it: no worker yet (WorkerHost.worker throws its own message).
    get: () => undefined,
    set(this: object, value: unknown) {
      Object.defineProperty(this, WORKER_FIELD, {
        value,
        writable: true,
        configurable: true,
        enumerable: true,
      });
      if (!isPatchableWorker(value)) return;
      for (const capture of captures.values()) if (capture.owns(this)) capture.attach(value);
    },
  });
  return true;
}

/**
 * Registers `capture` for the application whose coordinator is `owner`, until
 * {@link releaseWorkerCapture}.
 *
 * @example
 * addWorkerCapture(coordinator, { owns: (i) => wrappers.some((w) => w.instance === i), attach });
 */
export function addWorkerCapture(owner: object, capture: WorkerCapture): void {
  captures.set(owner, capture);
}

/**
 * Forgets `owner`'s capture: its bootstrap found and attached every worker that exists by then.
 *
 * @example
 * releaseWorkerCapture(coordinator);
 */
export function releaseWorkerCapture(owner: object): void {
  captures.delete(owner);
}
