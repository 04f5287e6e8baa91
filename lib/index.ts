// The public entry of nestjs-async-lifecycle: everything users import comes from here.

// Nest module, decorators and shutdown wiring
export { AsyncLifecycleModule } from './async-lifecycle.module.js';
export { ASYNC_LIFECYCLE_OPTIONS } from './async-lifecycle.module-definition.js';
export { enableLifecycleShutdown } from './nest/enable-lifecycle-shutdown.js';
export { exitCodeOf } from './nest/shutdown-signal.handler.js';
export type { LifecycleShutdownOptions } from './nest/shutdown-signal.handler.js';
export { CancellationFilter } from './nest/cancellation.filter.js';
export type { CancelledCallError } from './nest/cancellation.filter.js';
// `ManagedTask` is both the decorator and the task handle type.
export { ManagedTask } from './decorators/managed-task.decorator.js';
export type { ManagedTaskOptions, TaskStart } from './decorators/managed-task.decorator.js';
export { CancellationSafe } from './decorators/cancellation-safe.decorator.js';
export type { CancellationSafeDecoratorOptions } from './decorators/cancellation-safe.decorator.js';
export { OnShutdown } from './decorators/on-shutdown.decorator.js';
export type { OnShutdownOptions } from './decorators/on-shutdown.decorator.js';
export { InvalidLifecycleDeclarationError } from './discovery/invalid-declaration.error.js';

// Health (terminus)
export { LifecycleHealthIndicator } from './health/lifecycle.health.js';
export { LifecycleTerminusLogger } from './health/lifecycle-terminus.logger.js';
export type { LastShutdownSummary, LifecycleIndicatorResult } from './health/lifecycle.health.js';

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
export {
  COORDINATOR_OPTION_KEYS,
  DEFAULT_DRAIN,
  totalBudgetMs,
} from './core/lifecycle-options.validator.js';
export type {
  DrainOptions,
  LifecycleCoordinatorOptions,
  PhaseBudgets,
  ResolvedDrain,
  ResolvedLifecycleOptions,
} from './core/lifecycle-options.interface.js';
export type { AsyncLifecycleOptions } from './async-lifecycle-options.interface.js';
export type {
  Intake,
  IntakeHandle,
  IntakeReport,
  IntakeReports,
  IntakeState,
} from './core/intake.interface.js';
export { describeError, safeText } from './core/describe.js';
export { checkTaskName } from './core/name-check.js';

// Intakes (one folder each under lib/intake)
export type { IntakeInstaller, IntakeInstallContext } from './intake/intake-installer.interface.js';
export { HttpIntake } from './intake/http/http.intake.js';
export type { HttpIntakeContext } from './intake/http/http.intake.js';
export type {
  HttpIntakeOptions,
  ResolvedHttpIntakeOptions,
  ResolvedRequestTracking,
} from './intake/http/http-intake.options.js';
export type { HttpIntakeReport } from './intake/http/http-intake.report.js';
export type {
  ScheduleIntakeOptions,
  ResolvedScheduleIntakeOptions,
} from './intake/schedule/schedule-intake.options.js';
export type { ScheduleIntakeReport } from './intake/schedule/schedule-intake.report.js';
export type {
  ResolvedWebSocketIntakeOptions,
  WebSocketIntakeOptions,
} from './intake/websocket/websocket-intake.options.js';
export type { WebSocketIntakeReport } from './intake/websocket/websocket-intake.report.js';
export { Http2Intake } from './intake/http2/http2.intake.js';
export type {
  Http2IntakeOptions,
  ResolvedHttp2IntakeOptions,
} from './intake/http2/http2-intake.options.js';
export type { Http2IntakeReport } from './intake/http2/http2-intake.report.js';
export { endOnShutdown } from './intake/sse/end-on-shutdown.operator.js';
export type { EndOnShutdownOptions, SseEvent } from './intake/sse/end-on-shutdown.operator.js';
export { longPoll } from './intake/sse/long-poll.js';
export type { LongPollOptions } from './intake/sse/long-poll.js';
export type {
  ResolvedSseIntakeOptions,
  SseIntakeOptions,
} from './intake/sse/sse-intake.options.js';
export type { SseIntakeReport } from './intake/sse/sse-intake.report.js';
export { manageBullmqWorker } from './intake/bullmq/manage-bullmq-worker.js';
export type {
  BullmqIntakeOptions,
  ResolvedBullmqIntakeOptions,
} from './intake/bullmq/bullmq-intake.options.js';
export type { BullmqIntakeReport } from './intake/bullmq/bullmq-intake.report.js';
export type { BullmqWorkerLike } from './intake/bullmq/bullmq-worker.interface.js';
export type {
  MicroservicesIntakeOptions,
  ResolvedMicroservicesIntakeOptions,
} from './intake/microservices/microservices-intake.options.js';
export type {
  MicroservicesIntakeReport,
  MicroserviceTransport,
  MicroserviceTransportReport,
} from './intake/microservices/microservices-intake.report.js';
export {
  isRetryableRpcError,
  SHUTTING_DOWN_CODE,
} from './intake/microservices/retryable-rpc-error.js';
export type { RetryableRpcError } from './intake/microservices/retryable-rpc-error.js';
export type { LifecycleLogger } from './core/lifecycle-logger.interface.js';
export type {
  CleanupInfo,
  ShutdownHookOptions,
  StopMode,
  TaskContext,
  TaskOptions,
  TaskSnapshot,
} from './core/task.interface.js';
// What `createTask()` returns, exported under its own name so that a consumer's declaration emit
// can name it (TS2742 / TS2883); the `ManagedTask` interface above extends it.
export type { ManagedTask as ManagedTaskHandle } from './core/task.interface.js';
export type {
  CallbackOutcome,
  DrainReport,
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

// Cancellation-safe primitives (framework-free)
export { waitForSafe } from './primitives/wait-for-safe.js';
export type { WaitForSafeOptions } from './primitives/wait-for-safe.js';
export { gatherSafe } from './primitives/gather-safe.js';
export type { GatherSafeOptions } from './primitives/gather-safe.js';
export { cancellationSafe } from './primitives/cancellation-safe.js';
export type { CancellationSafeOptions, CleanupWhen } from './primitives/cancellation-safe.js';
export { shieldedWaitFor } from './primitives/shielded-wait-for.js';
export { shield } from './primitives/shield.js';
export { abortableDelay } from './primitives/abortable-delay.js';
export { TaskGroup } from './primitives/task-group.js';
export { TaskGroupError } from './primitives/task-group.error.js';
export type { Operation } from './primitives/operation.js';
export type { CleanupOptions } from './primitives/cleanup-options.interface.js';
export { asyncOnce } from './primitives/async-once.js';
export { withFlag, isFlagSet } from './primitives/scoped-flag.js';
export { guardedImport } from './primitives/guarded-import.js';
export type { GuardedImportOptions } from './primitives/guarded-import.js';
export { MissingDependencyError } from './primitives/missing-dependency.error.js';
export { writeJsonAtomic } from './primitives/write-json-atomic.js';

// Resilience: retry and circuit breaking on cockatiel, bound to the lifecycle
export { LifecycleRetry } from './primitives/resilience/lifecycle-retry.js';
export type {
  LifecycleRetryContext,
  LifecycleRetryOptions,
  RetryEvent,
} from './primitives/resilience/lifecycle-retry.js';
export { LifecycleCircuitBreaker } from './primitives/resilience/lifecycle-circuit-breaker.js';
export type {
  BreakerState,
  LifecycleCircuitBreakerOptions,
} from './primitives/resilience/lifecycle-circuit-breaker.js';
export { CircuitBreakerRegistry } from './primitives/resilience/circuit-breaker.registry.js';
export type { CircuitBreakerDefaults } from './primitives/resilience/circuit-breaker.registry.js';
export { DuplicateCircuitBreakerError } from './primitives/resilience/duplicate-circuit-breaker.error.js';

// After the process is gone, and boot-time checks
export { PreviousRunDetector } from './nest/previous-run.detector.js';
export type { UnreportedRun } from './nest/previous-run.detector.js';
export {
  summarizeShutdown,
  truncateUtf8,
  KUBERNETES_TERMINATION_LOG,
  TERMINATION_LOG_MAX_BYTES,
} from './nest/termination-log.writer.js';
export { LOAD_BALANCER_PRESETS } from './nest/boot-checks.options.js';
export type {
  BootChecksOptions,
  LoadBalancerOption,
  LoadBalancerPreset,
} from './nest/boot-checks.options.js';
export type {
  TelemetryOptions,
  TelemetryTracer,
  TelemetrySpan,
  TelemetryAttributes,
} from './nest/lifecycle-telemetry.js';
