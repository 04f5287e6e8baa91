import { Server as HttpServer } from 'node:http';
import { Server as HttpsServer } from 'node:https';
import type { IntakeInstaller } from '../intake-installer.interface.js';
import { HttpIntake } from './http.intake.js';
import { resolveHttpIntakeOptions, type ResolvedHttpIntakeOptions } from './http-intake.options.js';

/** The part of an HTTP adapter this intake hooks into. */
interface ClosableAdapter {
  close?: () => unknown;
  getHttpServer?: () => unknown;
}

/**
 * Drains the Node server under the HTTP adapter (Express or Fastify, HTTP or HTTPS): every
 * request a managed task, connections told to go after the drain, the listener closed when the
 * HTTP wave ended, and the adapter's `close` preceded by the intake's own clean ending of its
 * connections.
 *
 * @example
 * // lib/intake/intake-installers.ts
 * export const INTAKE_INSTALLERS = [httpIntakeInstaller, …];
 */
export const httpIntakeInstaller: IntakeInstaller<ResolvedHttpIntakeOptions> = {
  option: 'http',
  resolveOptions: resolveHttpIntakeOptions,
  install({ coordinator, httpAdapter }, options) {
    const adapter = httpAdapter as ClosableAdapter | null | undefined;
    const server = adapter?.getHttpServer?.();
    // An https.Server is a tls.Server, not an http.Server: both serve requests the same way.
    if (adapter == null || !(server instanceof HttpServer || server instanceof HttpsServer)) return;
    const intake = new HttpIntake(server as HttpServer, options, {
      events: coordinator.events$,
      quietMs: coordinator.options.drain.quietMs,
      acceptAfterCloseMs: coordinator.options.gracefulMs / 2,
      asyncContext: coordinator.options.asyncContext,
    });
    intake.install(coordinator.registerIntake(intake));
    const close = adapter.close;
    // Nest's last step with the server: the intake's own clean ending comes first.
    adapter.close = async () => {
      await intake.finish();
      await close?.call(adapter);
    };
  },
};
