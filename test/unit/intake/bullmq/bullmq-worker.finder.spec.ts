import { describe, expect, it } from '@jest/globals';
import { findBullmqWorkers } from '../../../../lib/intake/bullmq/bullmq-worker.finder.js';

/** Shaped like a bullmq Worker: what the finder recognises, whatever copy of bullmq made it. */
class Worker {
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

/** Shaped like @nestjs/bullmq's WorkerHost: a `worker` getter that throws until it is set. */
abstract class WorkerHost {
  _worker: Worker | undefined;
  get worker(): Worker {
    if (this._worker === undefined) throw new Error('"Worker" has not yet been initialized');
    return this._worker;
  }
}

class EmailsProcessor extends WorkerHost {}

describe('findBullmqWorkers', () => {
  it('finds the worker of each @nestjs/bullmq processor and every Worker provider, once each', () => {
    const emails = new EmailsProcessor();
    emails._worker = new Worker('emails');
    const reports = new Worker('reports');
    const { found, uninitialised } = findBullmqWorkers([emails, reports, {}, reports]);
    expect(found.map(({ worker, provider }) => [worker.name, provider])).toEqual([
      ['emails', 'EmailsProcessor'],
      ['reports', 'Worker'],
    ]);
    expect(uninitialised).toEqual([]);
  });

  it('names a processor whose worker does not exist yet (manualRegistration)', () => {
    const { found, uninitialised } = findBullmqWorkers([new EmailsProcessor()]);
    expect(found).toEqual([]);
    expect(uninitialised).toEqual(['EmailsProcessor']);
  });

  it('never reads a `worker` getter of a class that is not a WorkerHost', () => {
    let reads = 0;
    class Service {
      get worker(): Worker {
        reads++;
        return new Worker('side-effect');
      }
    }
    expect(findBullmqWorkers([new Service()]).found).toEqual([]);
    expect(reads).toBe(0);
  });

  it('skips providers it cannot read (a Proxy whose traps throw), and half-shaped objects', () => {
    const hostile = new Proxy(
      {},
      {
        get() {
          throw new Error('no');
        },
        getPrototypeOf() {
          throw new Error('no');
        },
      },
    );
    const halfWorker = { name: 'x', pause: () => Promise.resolve() };
    expect(findBullmqWorkers([hostile, halfWorker])).toEqual({ found: [], uninitialised: [] });
  });
});
