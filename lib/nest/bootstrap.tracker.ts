import type { INestApplicationContext } from '@nestjs/common';
import { isThenable } from '../core/thenable.js';
import { patchInstanceMethod } from './instance-patch.js';

/** How the application's bootstrap ended. */
export type BootstrapOutcome =
  { readonly failed: false } | { readonly failed: true; readonly error: unknown };

/** The methods that run a bootstrap: `listen()` runs `init()` when it has not run yet. */
const BOOTSTRAP_METHODS = ['init', 'listen'] as const;

/**
 * Knows when the application's bootstrap (`app.init()`, `app.listen()`) has settled, so that a
 * signal received meanwhile can wait for it (DESIGN §5): a shutdown begun in the middle of
 * `init()` would refuse the bootstrap tasks and tear down providers still being set up.
 *
 * An application already bootstrapped is settled at once. Otherwise its `init` and `listen` are
 * wrapped (own properties of the instance, removed once settled) to see each call start and
 * end: the bootstrap has settled when none is in flight and either the module reported the end
 * of bootstrap (`bootstrapped`) or a call failed.
 */
export class BootstrapTracker {
  readonly done: Promise<BootstrapOutcome>;
  private resolve!: (outcome: BootstrapOutcome) => void;
  private inFlight = 0;
  private failure: { error: unknown } | undefined;
  private ready = false;
  private isSettled = false;
  private readonly restores: (() => void)[] = [];

  /**
   * @param bootstrapped resolves when the module's own `onApplicationBootstrap` has run (the
   *   coordinator is running); `alreadyBootstrapped` when it ran before tracking began.
   */
  constructor(
    private readonly app: INestApplicationContext,
    bootstrapped: Promise<void>,
    alreadyBootstrapped: boolean,
  ) {
    this.done = new Promise((resolve) => (this.resolve = resolve));
    if (alreadyBootstrapped) {
      this.settle({ failed: false });
      return;
    }
    for (const name of BOOTSTRAP_METHODS) this.wrap(name);
    void bootstrapped.then(() => {
      this.ready = true;
      this.check();
    });
  }

  /** The bootstrap has not settled yet: a signal now must wait for it. */
  get pending(): boolean {
    return !this.isSettled;
  }

  /** Stops tracking (the application closed): the wrapped methods are put back. */
  dispose(): void {
    this.unwrap();
  }

  private wrap(name: (typeof BOOTSTRAP_METHODS)[number]): void {
    const observe = (result: unknown): unknown => this.observe(result);
    const restore = patchInstanceMethod(
      this.app,
      name,
      (original) =>
        function trackedBootstrapCall(this: unknown, ...args: unknown[]): unknown {
          return observe(original.apply(this, args));
        },
    );
    if (restore !== undefined) this.restores.push(restore);
  }

  private observe(result: unknown): unknown {
    if (!isThenable(result)) return result;
    this.inFlight++;
    result.then(
      () => this.callEnded(undefined),
      (error: unknown) => this.callEnded({ error }),
    );
    return result;
  }

  private callEnded(failure: { error: unknown } | undefined): void {
    this.inFlight--;
    this.failure ??= failure;
    this.check();
  }

  private check(): void {
    if (this.isSettled || this.inFlight > 0) return;
    if (this.failure !== undefined) {
      this.settle({ failed: true, error: this.failure.error });
      return;
    }
    if (!this.ready) return;
    // One turn of the event loop: `await app.init(); await app.listen()` starts its next call
    // in between, and the shutdown must not close a server that is about to listen.
    setImmediate(() => {
      if (this.inFlight === 0 && this.failure === undefined) this.settle({ failed: false });
      else this.check();
    });
  }

  private settle(outcome: BootstrapOutcome): void {
    if (this.isSettled) return;
    this.isSettled = true;
    this.unwrap();
    this.resolve(outcome);
  }

  private unwrap(): void {
    for (const restore of this.restores.splice(0)) restore();
  }
}
