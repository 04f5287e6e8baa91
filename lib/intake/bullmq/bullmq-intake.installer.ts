import type { IntakeInstaller } from '../intake-installer.interface.js';
import { bullmqIntakeOf, existingBullmqIntake } from './bullmq-intake.registry.js';
import {
  resolveBullmqIntakeOptions,
  type ResolvedBullmqIntakeOptions,
} from './bullmq-intake.options.js';
import { releaseWorkerCapture } from './bullmq-worker.capture.js';
import { bullmqWorkerCaptureProvider } from './bullmq-worker-capture.provider.js';
import { findBullmqWorkers } from './bullmq-worker.finder.js';
import { BullmqMessages } from './bullmq.messages.js';

/**
 * Drains the application's BullMQ workers — those of `@nestjs/bullmq` processors and `Worker`
 * providers, plus any handed over with `manageBullmqWorker` — when there are any; an application
 * without BullMQ loads nothing and registers nothing. The workers of `@nestjs/bullmq` processors
 * are attached earlier, as they are created (`bullmqWorkerCaptureProvider`); this finds the
 * others. Synchronous on purpose: a `Worker` provider may already be fetching, and each turn of
 * the event loop before its jobs run through the intake is a job the shutdown would not know of.
 */
export const bullmqIntakeInstaller: IntakeInstaller<ResolvedBullmqIntakeOptions> = {
  option: 'bullmq',
  resolveOptions: resolveBullmqIntakeOptions,
  // @nestjs/bullmq's processors start their workers at module init: captured as they are made.
  providers: [bullmqWorkerCaptureProvider],
  install({ coordinator, instances, logger }, options) {
    // Every worker that exists now is found below: the capture's work is done.
    releaseWorkerCapture(coordinator);
    const { found, uninitialised } = findBullmqWorkers(instances);
    for (const processor of uninitialised)
      logger.warn(BullmqMessages.uninitialisedProcessor(processor));
    if (found.length === 0 && existingBullmqIntake(coordinator) === undefined) return;
    const intake = bullmqIntakeOf(coordinator, options);
    for (const { worker } of found) intake.attach(worker);
  },
};
