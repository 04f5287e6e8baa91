/**
 * The state of the whole application as the coordinator sees it. Readiness is up only while
 * `RUNNING`; `DRAINING` starts at the first instant of shutdown.
 *
 * @example
 * if (coordinator.state !== LifecycleState.RUNNING) throw new ServiceUnavailableException();
 */
export enum LifecycleState {
  STARTING = 'starting',
  RUNNING = 'running',
  DRAINING = 'draining',
  STOPPED = 'stopped',
}
