import type { IntakeInstaller } from '../intake-installer.interface.js';
import { registerSseIntake } from './sse-intake.registry.js';
import { resolveSseIntakeOptions, type ResolvedSseIntakeOptions } from './sse-intake.options.js';

/**
 * Registers the SSE intake of an HTTP application at bootstrap, with the `sse` option: before any
 * shutdown, so that `endOnShutdown()` and `longPoll()` hear when intake closes even when their
 * first stream opens during the drain.
 */
export const sseIntakeInstaller: IntakeInstaller<ResolvedSseIntakeOptions> = {
  option: 'sse',
  resolveOptions: resolveSseIntakeOptions,
  install({ coordinator, httpAdapter, logger }, options) {
    if (httpAdapter == null) return;
    registerSseIntake(coordinator, options, logger);
  },
};
