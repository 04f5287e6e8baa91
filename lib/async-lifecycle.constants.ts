/** Metadata key of `@ManagedTask`. */
export const MANAGED_TASK_METADATA = 'async-lifecycle:managed-task';
/** Metadata key of `@CancellationSafe`. */
export const CANCELLATION_SAFE_METADATA = 'async-lifecycle:cancellation-safe';
/** Metadata key of `@OnShutdown`. */
export const ON_SHUTDOWN_METADATA = 'async-lifecycle:on-shutdown';
/** Context of the module's log lines. */
export const LIFECYCLE_LOGGER_CONTEXT = 'AsyncLifecycle';
/** How long a process may take to exit on its own after `app.close()`, before it is made to. */
export const DEFAULT_EXIT_GRACE_MS = 1000;
/** Time allowed to `app.close()` after the phase budgets, before the watchdog exits. */
export const CLOSE_ALLOWANCE_MS = 5000;
