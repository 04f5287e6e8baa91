import type { LifecycleCoordinator } from '../../core/lifecycle-coordinator.js';
import { BullmqIntake } from './bullmq.intake.js';
import {
  resolveBullmqIntakeOptions,
  type ResolvedBullmqIntakeOptions,
} from './bullmq-intake.options.js';

/** One BullMQ intake per coordinator, whoever needs it first: bootstrap or `manageBullmqWorker`. */
const intakes = new WeakMap<LifecycleCoordinator, BullmqIntake>();

/**
 * The coordinator's BullMQ intake, registered with it on first use; `options` (the module's
 * `bullmq` option, known at bootstrap) replace the defaults a worker handed over earlier got.
 */
export function bullmqIntakeOf(
  coordinator: LifecycleCoordinator,
  options?: ResolvedBullmqIntakeOptions,
): BullmqIntake {
  const existing = intakes.get(coordinator);
  if (existing !== undefined) {
    if (options !== undefined) existing.configure(options);
    return existing;
  }
  const intake = new BullmqIntake(
    options ?? (resolveBullmqIntakeOptions(undefined) as ResolvedBullmqIntakeOptions),
    coordinator.options.logger,
    (name) => coordinator.isRegistered(name),
  );
  // Throws ShutdownInProgressError once the shutdown began: nothing is kept then.
  intake.install(coordinator.registerIntake(intake));
  intakes.set(coordinator, intake);
  return intake;
}

/** The coordinator's BullMQ intake if something already created it. */
export function existingBullmqIntake(coordinator: LifecycleCoordinator): BullmqIntake | undefined {
  return intakes.get(coordinator);
}
