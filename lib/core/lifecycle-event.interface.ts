import type { CallbackOutcome } from './shutdown-report.interface.js';
import type { LifecycleState } from './lifecycle-state.enum.js';
import type { ShutdownPhase } from './shutdown-phase.enum.js';
import type { TaskPriority } from './task-priority.enum.js';
import type { TaskState } from './task-state.enum.js';

/** The application's state changed (`running → draining → stopped`). */
export interface LifecycleStateEvent {
  readonly type: 'state';
  readonly state: LifecycleState;
  readonly previous: LifecycleState;
  readonly at: number;
}

/** The shutdown entered a phase, at start, because a budget was spent, or on `escalate()`. */
export interface PhaseEvent {
  readonly type: 'phase';
  readonly phase: ShutdownPhase;
  readonly by: 'start' | 'budget' | 'escalate';
  readonly at: number;
}

/** A shutdown wave began: its tasks are being signalled. */
export interface WaveEvent {
  readonly type: 'wave';
  readonly wave: number;
  readonly phase: ShutdownPhase;
  readonly tasks: number;
  readonly hooks: number;
  readonly at: number;
}

/** A task changed state. */
export interface TaskEvent {
  readonly type: 'task';
  readonly id: string;
  readonly name: string;
  readonly priority: TaskPriority;
  readonly state: TaskState;
  readonly previous: TaskState;
  readonly at: number;
}

/** A shutdown hook started (`outcome` absent) or ended. */
export interface HookEvent {
  readonly type: 'hook';
  readonly name: string;
  readonly priority: TaskPriority;
  readonly outcome?: CallbackOutcome;
  readonly at: number;
}

/**
 * What `coordinator.events$` emits; `at` is `Date.now()`. Events are only built while someone
 * subscribes.
 *
 * @example
 * coordinator.events$
 *   .pipe(filter((e): e is PhaseEvent => e.type === 'phase'))
 *   .subscribe((e) => metrics.gauge('shutdown_phase', e.phase));
 */
export type LifecycleEvent = LifecycleStateEvent | PhaseEvent | WaveEvent | TaskEvent | HookEvent;
