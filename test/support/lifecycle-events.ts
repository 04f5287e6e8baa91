import { filter, firstValueFrom } from 'rxjs';
import type { LifecycleCoordinator } from '../../lib/core/lifecycle-coordinator.js';
import { LifecycleState } from '../../lib/core/lifecycle-state.enum.js';
import type { LifecycleEvent } from '../../lib/core/lifecycle-event.interface.js';
import type { ShutdownPhase } from '../../lib/core/shutdown-phase.enum.js';

/**
 * The next event matching `match`: subscribe before the action that causes it (events are only
 * emitted while someone listens). Rejects if the shutdown ends without one.
 */
export function nextEvent(
  coordinator: LifecycleCoordinator,
  match: (event: LifecycleEvent) => boolean,
): Promise<LifecycleEvent> {
  return firstValueFrom(coordinator.events$.pipe(filter(match)));
}

/** The shutdown has begun: readiness is down, the drain runs. */
export function draining(coordinator: LifecycleCoordinator): Promise<LifecycleEvent> {
  return nextEvent(coordinator, (e) => e.type === 'state' && e.state === LifecycleState.DRAINING);
}

/** The shutdown entered `phase` (for GRACEFUL: the drain ended and intake closed just before). */
export function phaseEntered(
  coordinator: LifecycleCoordinator,
  phase: ShutdownPhase,
): Promise<LifecycleEvent> {
  return nextEvent(coordinator, (e) => e.type === 'phase' && e.phase === phase);
}
