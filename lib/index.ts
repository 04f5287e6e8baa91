// The public entry of nestjs-async-lifecycle: everything users import comes from here.

// Engine (framework-free)
export { LifecycleCoordinator } from './core/lifecycle-coordinator.js';
export type { CoordinatorAdapterOptions } from './core/lifecycle-coordinator.js';
export { TaskPriority, priorityName } from './core/task-priority.enum.js';
export { TaskState } from './core/task-state.enum.js';
export { ShutdownPhase } from './core/shutdown-phase.enum.js';
export { LifecycleState } from './core/lifecycle-state.enum.js';
export { currentTask } from './core/task-context.storage.js';
export { orderByDependencies } from './core/dependency-order.js';
export type { DependencyDeclaration } from './core/dependency-order.js';
export { renderShutdownSummary, renderShutdownTimeline } from './core/timeline.renderer.js';
export type { TimelineOptions } from './core/timeline.renderer.js';
export { countActiveResources, lingeringSince } from './core/lingering-resources.js';
export {
  resolveLifecycleOptions,
  lifecycleOptionWarnings,
  DEFAULT_BUDGETS,
} from './core/lifecycle-options.validator.js';
export type {
  AsyncLifecycleOptions,
  HttpTrackingOptions,
  PhaseBudgets,
  ResolvedLifecycleOptions,
} from './core/lifecycle-options.interface.js';
export type { LifecycleLogger } from './core/lifecycle-logger.interface.js';
export type {
  CleanupInfo,
  ManagedTask,
  ShutdownHookOptions,
  TaskContext,
  TaskOptions,
  TaskSnapshot,
} from './core/task.interface.js';
export type {
  CallbackOutcome,
  HookReport,
  PhaseReport,
  ShutdownOutcome,
  ShutdownReport,
  TaskReport,
} from './core/shutdown-report.interface.js';
export type {
  HookEvent,
  LifecycleEvent,
  LifecycleStateEvent,
  PhaseEvent,
  TaskEvent,
  WaveEvent,
} from './core/lifecycle-event.interface.js';

// Errors and cancellation
export { CancelledError } from './core/cancelled.error.js';
export { TimeoutError } from './core/timeout.error.js';
export { ShutdownInProgressError } from './core/shutdown-in-progress.error.js';
export {
  DependencyCycleError,
  DuplicateTaskNameError,
  UnknownDependencyError,
} from './core/task-dependency.error.js';
export { InvalidLifecycleOptionError } from './core/invalid-option.error.js';
export { isCancellation, rethrowIfCancellation } from './core/cancellation.js';
