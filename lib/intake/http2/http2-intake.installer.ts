import { Server as NetServer } from 'node:net';
import { spreadWindowMs } from '../staggered-close.js';
import type { IntakeInstaller } from '../intake-installer.interface.js';
import { Http2Intake } from './http2.intake.js';
import {
  resolveHttp2IntakeOptions,
  type ResolvedHttp2IntakeOptions,
} from './http2-intake.options.js';

/** The part of an HTTP adapter this intake hooks into. */
interface ClosableAdapter {
  close?: () => unknown;
  getHttpServer?: () => unknown;
}

/**
 * Whether `server` is an HTTP/2 server. Node does not export `Http2Server` nor
 * `Http2SecureServer`; `updateSettings()` is theirs alone (an `http.Server` has none).
 */
function isHttp2Server(server: unknown): server is NetServer {
  return (
    server instanceof NetServer &&
    typeof (server as { updateSettings?: unknown }).updateSettings === 'function'
  );
}

/**
 * Drains the HTTP/2 server under the HTTP adapter (Fastify with `http2: true`, secure or not):
 * every stream a managed task, GOAWAY at intake close, and the adapter's `close` preceded by the
 * intake's own ending of the sessions still open. Nothing to do for HTTP/1.1 servers (the `http`
 * intake's).
 */
export const http2IntakeInstaller: IntakeInstaller<ResolvedHttp2IntakeOptions> = {
  option: 'http2',
  resolveOptions: resolveHttp2IntakeOptions,
  install({ coordinator, httpAdapter }, options) {
    const adapter = httpAdapter as ClosableAdapter | null | undefined;
    const server = adapter?.getHttpServer?.();
    if (adapter == null || !isHttp2Server(server)) return;
    const windowMs = spreadWindowMs(options.spreadMs, coordinator.options.gracefulMs);
    const intake = new Http2Intake(server, options, windowMs);
    intake.install(coordinator.registerIntake(intake));
    const close = adapter.close;
    // Nest's last step with the server: the sessions still open are ended first, or Node's
    // server.close() would wait for them (nodejs/node#57611).
    adapter.close = async () => {
      await intake.finish();
      await close?.call(adapter);
    };
  },
};
