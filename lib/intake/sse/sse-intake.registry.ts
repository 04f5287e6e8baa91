import { InvalidLifecycleOptionError } from '../../core/invalid-option.error.js';
import type { LifecycleCoordinator } from '../../core/lifecycle-coordinator.js';
import type { LifecycleLogger } from '../../core/lifecycle-logger.interface.js';
import type { ShutdownInProgressError } from '../../core/shutdown-in-progress.error.js';
import { SseIntake } from './sse.intake.js';
import { spreadWindowMs } from '../staggered-close.js';
import { DEFAULT_SSE_OPTIONS, type ResolvedSseIntakeOptions } from './sse-intake.options.js';
import { SseMessages } from './sse.messages.js';

/** One SSE intake per coordinator: the helpers find it from the coordinator they are given. */
const intakes = new WeakMap<LifecycleCoordinator, SseIntake>();

/**
 * Registers the SSE intake of `coordinator` (the Nest module does it at bootstrap, with the
 * `sse` option). Returns the one already registered, if any.
 */
export function registerSseIntake(
  coordinator: LifecycleCoordinator,
  options: ResolvedSseIntakeOptions,
  logger?: LifecycleLogger,
): SseIntake {
  const windowMs = spreadWindowMs(options.spreadMs, coordinator.options.gracefulMs);
  const existing = intakes.get(coordinator);
  if (existing !== undefined) {
    // A helper ran before bootstrap finished and registered it with the defaults.
    existing.configure(options, windowMs, logger);
    return existing;
  }
  const intake = new SseIntake(options, windowMs, logger);
  coordinator.registerIntake(intake);
  intakes.set(coordinator, intake);
  return intake;
}

/**
 * The SSE intake of `coordinator`, registered now with the defaults when the Nest module has not
 * (a coordinator used without the module). Registered after the shutdown began, it can no longer
 * hear intake close: what is opened on it ends at once.
 */
export function sseIntakeOf(coordinator: LifecycleCoordinator): SseIntake {
  const existing = intakes.get(coordinator);
  if (existing !== undefined) return existing;
  try {
    return registerSseIntake(coordinator, DEFAULT_SSE_OPTIONS);
  } catch (error) {
    if ((error as Partial<ShutdownInProgressError> | null)?.isShutdownInProgressError !== true) {
      throw error;
    }
    const late = new SseIntake(DEFAULT_SSE_OPTIONS, 0, undefined, true);
    intakes.set(coordinator, late);
    return late;
  }
}

/** Throws unless `coordinator` looks like a `LifecycleCoordinator` (a forgotten injection). */
export function checkCoordinator(coordinator: LifecycleCoordinator, helper: string): void {
  // By shape, not instanceof: a CommonJS and an ES module copy of the package may meet here.
  if (typeof (coordinator as Partial<LifecycleCoordinator> | null)?.registerIntake !== 'function') {
    throw InvalidLifecycleOptionError.invalid(
      'coordinator',
      coordinator,
      SseMessages.notACoordinator(helper),
    );
  }
}
