import type { CancellationSafeMetadata } from '../decorators/cancellation-safe.decorator.js';
import type { ManagedTaskOptions } from '../decorators/managed-task.decorator.js';
import type { OnShutdownOptions } from '../decorators/on-shutdown.decorator.js';

/**
 * The method a decorator sits on: what a validator needs to name it in a message and to check
 * that a cleanup given by name is a method of the same class.
 *
 * @example
 * const site: MethodSite = { instance: worker, className: 'Worker', methodName: 'loop' };
 */
export interface MethodSite {
  /** The singleton provider or controller the method belongs to. */
  readonly instance: object;
  readonly className: string;
  readonly methodName: string;
}

/**
 * A method of a singleton provider or controller that carries at least one lifecycle decorator,
 * as the explorer found it: the method value and the raw, not yet validated, decorator metadata.
 *
 * @example
 * registrar.declare([{ instance, className: 'Jobs', methodName: 'process', method, managedTask: { start: 'call' } }]);
 */
export interface DecoratedMethod extends MethodSite {
  /** `instance[methodName]` when discovered: the dispatching wrapper for `start: 'call'` / `@CancellationSafe`. */
  readonly method: (...args: unknown[]) => unknown;
  readonly managedTask?: ManagedTaskOptions;
  readonly cancellationSafe?: CancellationSafeMetadata;
  readonly onShutdown?: OnShutdownOptions;
}
