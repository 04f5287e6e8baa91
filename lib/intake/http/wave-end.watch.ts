import type { Observable, Subscription } from 'rxjs';
import type { LifecycleEvent } from '../../core/lifecycle-event.interface.js';
import { ShutdownPhase } from '../../core/shutdown-phase.enum.js';
import { priorityWave } from '../../core/shutdown-plan.js';
import type { TaskPriority } from '../../core/task-priority.enum.js';

/**
 * Calls `onEnd` once, at the moment units of work of `priority` can no longer join the shutdown:
 * their wave has finished stopping its tasks. A run starts a wave's hooks only once its tasks
 * have ended and the next wave only after that, and emits an event for each; so the first hook
 * that starts after the wave began, a later wave, or TERMINATE mark that moment. (A shutdown
 * whose waves all end before that one began ends soon after: the intake's `shutdownEnded`
 * covers it.)
 *
 * @example
 * const watch = watchWaveEnd(coordinator.events$, TaskPriority.HIGH, () => server.close());
 * // … at shutdownEnded: watch.unsubscribe();
 */
export function watchWaveEnd(
  events: Observable<LifecycleEvent>,
  priority: TaskPriority,
  onEnd: () => void,
): Subscription {
  const wave = priorityWave(priority);
  let began = false;
  let ended = false;
  const end = (): void => {
    if (ended) return;
    ended = true;
    onEnd();
  };
  return events.subscribe((event) => {
    if (event.type === 'wave') {
      if (event.wave > wave) end();
      else if (event.wave === wave) began = true;
    } else if (event.type === 'hook') {
      if (began && event.outcome === undefined) end();
    } else if (event.type === 'phase' && event.phase === ShutdownPhase.TERMINATE) {
      end();
    }
  });
}
