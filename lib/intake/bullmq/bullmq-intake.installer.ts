import type { IntakeInstaller } from '../intake-installer.interface.js';
import { bullmqIntakeOf, existingBullmqIntake } from './bullmq-intake.registry.js';
import {
  resolveBullmqIntakeOptions,
  type ResolvedBullmqIntakeOptions,
} from './bullmq-intake.options.js';
import { findBullmqWorkers } from './bullmq-worker.finder.js';
import { BullmqMessages } from './bullmq.messages.js';

/**
 * Drains the application's BullMQ workers — those of `@nestjs/bullmq` processors and `Worker`
 * providers, plus any handed over with `manageBullmqWorker` — when there are any; an application
 * without BullMQ loads nothing and registers nothing. Synchronous on purpose: a worker created
 * at module init may already be fetching, and each turn of the event loop before its jobs run
 * through the intake is a job the shutdown would not know of.
 */
export const bullmqIntakeInstaller: IntakeInstaller<ResolvedBullmqIntakeOptions> = {
  option: 'bullmq',
  resolveOptions: resolveBullmqIntakeOptions,
  install({ coordinator, instances, logger }, options) {
    const { found, uninitialised } = findBullmqWorkers(instances);
    for (const processor of uninitialised)
      logger.warn(BullmqMessages.uninitialisedProcessor(processor));
    if (found.length === 0 && existingBullmqIntake(coordinator) === undefined) return;
    const intake = bullmqIntakeOf(coordinator, options);
    for (const { worker } of found) intake.attach(worker);
  },
};
