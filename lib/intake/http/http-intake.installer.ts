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
 * request a managed task, intake closed after the drain, and the adapter's `close` preceded by
 * the intake's own clean ending of its connections.
 */
export const httpIntakeInstaller: IntakeInstaller<ResolvedHttpIntakeOptions> = {
  option: 'http',
  resolveOptions: resolveHttpIntakeOptions,
  install({ coordinator, httpAdapter }, options) {
    const adapter = httpAdapter as ClosableAdapter | null | undefined;
    const server = adapter?.getHttpServer?.();
    // An https.Server is a tls.Server, not an http.Server: both serve requests the same way.
    if (adapter == null || !(server instanceof HttpServer || server instanceof HttpsServer)) return;
    const intake = new HttpIntake(server as HttpServer, options);
    intake.install(coordinator.registerIntake(intake));
    const close = adapter.close;
    // Nest's last step with the server: the intake's own clean ending comes first.
    adapter.close = async () => {
      await intake.finish();
      await close?.call(adapter);
    };
  },
};
