import { CoreMessages } from './lifecycle.messages.js';
import type { ShutdownPhase } from './shutdown-phase.enum.js';

/**
 * The reason a managed task's signal is aborted. Carries the shutdown phase and reason when the
 * cancellation comes from a shutdown. Recognised by {@link isCancellation}, also through `cause`.
 *
 * @example
 * ctx.signal.addEventListener('abort', () => {
 *   const reason = ctx.signal.reason as CancelledError;
 *   logger.log(`stopping in ${reason.phase} phase`);
 * });
 */
export class CancelledError extends Error {
  /** Brand: survives realms and duplicated package copies where `instanceof` does not. */
  readonly isCancelledError = true as const;
  override readonly name: string = 'CancelledError';
  /** The shutdown phase that cancelled the task, when a shutdown did. */
  readonly phase?: ShutdownPhase;
  /** The shutdown's reason (`'SIGTERM'`, `'manual'` …), when a shutdown did. */
  readonly reason?: string;

  constructor(
    message?: string,
    options?: { phase?: ShutdownPhase; reason?: string; cause?: unknown },
  ) {
    super(
      message ?? CoreMessages.cancelled(options?.phase, options?.reason),
      options?.cause === undefined ? undefined : { cause: options.cause },
    );
    if (options?.phase !== undefined) this.phase = options.phase;
    if (options?.reason !== undefined) this.reason = options.reason;
  }
}
