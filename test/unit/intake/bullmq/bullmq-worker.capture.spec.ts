import { afterEach, describe, expect, it } from '@jest/globals';
import { WorkerHost } from '@nestjs/bullmq';
import type { PatchableWorker } from '../../../../lib/intake/bullmq/bullmq-worker.interface.js';
import {
  WORKER_FIELD,
  addWorkerCapture,
  captureWorkerField,
  releaseWorkerCapture,
} from '../../../../lib/intake/bullmq/bullmq-worker.capture.js';

/** Shaped like a bullmq Worker: what the intake recognises. */
class FakeWorker {
  constructor(readonly name: string) {}
  callProcessJob(): Promise<unknown> {
    return Promise.resolve();
  }
  pause(): Promise<void> {
    return Promise.resolve();
  }
  isPaused(): boolean {
    return false;
  }
}

/** What `@nestjs/bullmq`'s explorer does at module init: `instance._worker = new Worker(…)`. */
function store(instance: object, worker: unknown): void {
  (instance as Record<string, unknown>)[WORKER_FIELD] = worker;
}

describe('captureWorkerField', () => {
  const owners: object[] = [];

  afterEach(() => {
    for (const owner of owners.splice(0)) releaseWorkerCapture(owner);
  });

  function capture(instances: object[]): PatchableWorker[] {
    const owner = {};
    owners.push(owner);
    const attached: PatchableWorker[] = [];
    addWorkerCapture(owner, {
      owns: (instance) => instances.includes(instance),
      attach: (worker) => attached.push(worker),
    });
    return attached;
  }

  it("is the field the real WorkerHost's `worker` getter reads", () => {
    class EmailsProcessor extends WorkerHost {
      process(): Promise<void> {
        return Promise.resolve();
      }
    }
    const processor = new EmailsProcessor();
    expect(() => processor.worker).toThrow('has not yet been initialized');
    const worker = new FakeWorker('emails');
    store(processor, worker);
    expect(processor.worker).toBe(worker);
  });

  it('attaches the worker to the application owning the processor, in the turn it is stored; then the field is plain', () => {
    class ReportsProcessor extends WorkerHost {
      process(): Promise<void> {
        return Promise.resolve();
      }
    }
    expect(captureWorkerField(ReportsProcessor.prototype)).toBe(true);
    expect(captureWorkerField(ReportsProcessor.prototype)).toBe(false);
    const [mine, theirs] = [new ReportsProcessor(), new ReportsProcessor()];
    const attachedToMine = capture([mine]);
    const attachedToTheirs = capture([theirs]);

    expect(() => mine.worker).toThrow('has not yet been initialized');
    const worker = new FakeWorker('reports');
    store(mine, worker);
    expect(attachedToMine).toEqual([worker]);
    expect(attachedToTheirs).toEqual([]);
    expect(mine.worker).toBe(worker);
    expect(Object.getOwnPropertyDescriptor(mine, WORKER_FIELD)).toMatchObject({
      value: worker,
      writable: true,
    });
    // A second assignment is a plain write: nothing attached twice.
    store(mine, worker);
    expect(attachedToMine).toEqual([worker]);
  });

  it('ignores what is not a worker, and an application released at bootstrap', () => {
    class AuditProcessor extends WorkerHost {
      process(): Promise<void> {
        return Promise.resolve();
      }
    }
    captureWorkerField(AuditProcessor.prototype);
    const [first, second] = [new AuditProcessor(), new AuditProcessor()];
    const attached = capture([first, second]);
    store(first, { name: 'not a worker' });
    expect(attached).toEqual([]);
    releaseWorkerCapture(owners[0]);
    store(second, new FakeWorker('audit'));
    expect(attached).toEqual([]);
  });
});
