import { AbortLink } from '../../core/abort-link.js';
import { currentTask } from '../../core/task-context.storage.js';

/**
 * The signal of one resilient call: it aborts when the helper's bound signal (typically the
 * coordinator's `shutdownSignal`), the caller's signal, or the managed task the call runs in
 * aborts. The caller must `dispose()` the link when the call ends.
 */
export function linkCallSignal(bound?: AbortSignal, signal?: AbortSignal): AbortLink {
  // One controller per call with removable listeners: `AbortSignal.any` on the long-lived
  // shutdown signal would keep every call's signal alive on it.
  return new AbortLink(bound, signal, currentTask()?.signal);
}
