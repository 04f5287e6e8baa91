import type { RolloutTarget } from './rollout-result.interface.js';

/**
 * How one rollout runs: the target app, its lifecycle options, and the shape of the load.
 *
 * @example
 * const options: RolloutOptions = { adapter: 'fastify', mode: 'lifecycle', connections: 10 };
 */
export interface RolloutOptions extends RolloutTarget {
  /** JSON merged into the module options (`LIFECYCLE_OPTIONS`); lifecycle mode only. */
  readonly lifecycleOptions?: object;
  /** Keep-alive connections of the load generator; default 20. */
  readonly connections?: number;
  /** Load before SIGTERM; default 1000 ms. */
  readonly loadBeforeSignalMs?: number;
  /** Load after the process exited, against the closed port; default 500 ms. */
  readonly loadAfterExitMs?: number;
  /**
   * The longest the load keeps running after SIGTERM while the process is still up (a stand-in
   * for the orchestrator's patience); then the load stops and the process is `heldOpen`.
   * Default 10000 ms.
   */
  readonly holdLimitMs?: number;
  /** After the load stopped, how long the process may take to exit before SIGKILL; default 5000. */
  readonly exitAfterStopMs?: number;
}
