/**
 * The three phases of a shutdown, each with its own budget:
 * `GRACEFUL` (tasks are signalled wave by wave and awaited), `FORCEFUL` (cleanups of stuck tasks
 * run without waiting for them) and `TERMINATE` (everything left is signalled and cleaned up at
 * once; what is still running at the end is abandoned).
 *
 * @example
 * await coordinator.shutdown({ phase: ShutdownPhase.FORCEFUL, reason: 'deploy' });
 */
export enum ShutdownPhase {
  GRACEFUL = 'graceful',
  FORCEFUL = 'forceful',
  TERMINATE = 'terminate',
}

export const PHASE_ORDER: readonly ShutdownPhase[] = [
  ShutdownPhase.GRACEFUL,
  ShutdownPhase.FORCEFUL,
  ShutdownPhase.TERMINATE,
];
