import { AbortLink } from '../../core/abort-link.js';
import { CancelledError } from '../../core/cancelled.error.js';
import { isCancellation } from '../../core/cancellation.js';
import { InvalidLifecycleOptionError } from '../../core/invalid-option.error.js';
import type { LifecycleCoordinator } from '../../core/lifecycle-coordinator.js';
import { isPlainObject } from '../../core/lifecycle-options.validator.js';
import { currentTask } from '../../core/task-context.storage.js';
import { startOperation } from '../../primitives/operation.js';
import { settleRace } from '../../primitives/settle-race.js';
import { checkCoordinator, sseIntakeOf } from './sse-intake.registry.js';
import { SseMessages } from './sse.messages.js';

/**
 * Options of {@link longPoll}.
 *
 * @example
 * const options: LongPollOptions<Order[]> = { fallback: [] };
 */
export interface LongPollOptions<D> {
  /** The early answer, sent when the server stops taking traffic before `wait` has one. */
  fallback: D;
}

/**
 * One long-poll: waits for `wait` to find an answer, and answers early with `fallback` when the
 * server stops taking traffic — at intake close (after the drain, spread over `sse.spreadMs`
 * with the other long-lived responses; at once for a poll that arrives later). `wait` receives
 * a signal that aborts then, so it can stop waiting; its later outcome is observed, never
 * unhandled. The client polls again — to another instance, as intake is closed here.
 *
 * The signal also follows the request's own task: at FORCEFUL (or `http.requestTimeoutMs`) its
 * cancellation is rethrown, never turned into the fallback. A failure of `wait` is rethrown.
 *
 * Why not `shutdownSignal`: it aborts when the shutdown begins, before the drain; a poll answered
 * then is re-sent at once to this same instance (the load balancer has not noticed yet), which
 * answers it at once again — a busy loop for the whole drain.
 *
 * @example
 * @Get('orders/next')
 * next(@Query('after') after: string): Promise<Order[]> {
 *   return longPoll(this.lifecycle, (signal) => this.orders.waitForNewer(after, signal), {
 *     fallback: [],
 *   });
 * }
 */
export async function longPoll<T, D>(
  coordinator: LifecycleCoordinator,
  wait: (signal: AbortSignal) => PromiseLike<T> | T,
  options: LongPollOptions<D>,
): Promise<T | D> {
  checkCoordinator(coordinator, 'longPoll()');
  if (typeof wait !== 'function') {
    throw InvalidLifecycleOptionError.invalid('longPoll(wait)', wait, 'a function');
  }
  if (!isPlainObject(options) || !('fallback' in options)) {
    throw InvalidLifecycleOptionError.invalid(
      'longPoll options',
      options,
      'an object { fallback }',
    );
  }
  const early = new CancelledError(SseMessages.answeredEarly());
  const link = new AbortLink(currentTask()?.signal);
  const release = sseIntakeOf(coordinator).hold('poll', () => link.abort(early));
  try {
    // Aborted already (a poll after intake closed, a request already cancelled): never started.
    if (link.signal.aborted) return answer(link.signal.reason, early, options.fallback);
    const outcome = await settleRace(startOperation(wait, link.signal), link.signal);
    if (outcome.kind === 'value') return outcome.value;
    if (outcome.kind === 'aborted') return answer(outcome.reason, early, options.fallback);
    // No deadline was given to the race, so the only other outcome is a rejection.
    if (outcome.kind === 'timeout') throw new Error('unreachable: longPoll has no deadline');
    // `wait` rejected with the early cancellation itself (or one caused by it): still early.
    if (link.signal.reason === early && isCancellation(outcome.error)) return options.fallback;
    throw outcome.error;
  } finally {
    release();
    link.dispose();
  }
}

/** The fallback when `reason` is the early answer; any other cancellation is rethrown. */
function answer<D>(reason: unknown, early: CancelledError, fallback: D): D {
  if (reason === early) return fallback;
  throw reason;
}
