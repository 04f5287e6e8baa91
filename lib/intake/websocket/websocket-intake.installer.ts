import type { IntakeInstaller } from '../intake-installer.interface.js';
import { gatewayAdapterOf } from './gateway-adapter.locator.js';
import { trackGatewayMessages } from './gateway-messages.tracker.js';
import { WebSocketIntake } from './websocket.intake.js';
import {
  resolveWebSocketIntakeOptions,
  type ResolvedWebSocketIntakeOptions,
} from './websocket-intake.options.js';

/**
 * Drains the application's WebSocket gateways (`@nestjs/platform-ws`, `@nestjs/platform-socket.io`,
 * on Express or Fastify): on when the application has a WebSocket adapter, that is, a gateway.
 * Nothing is imported: the adapter comes from Nest, its clients are recognised by their shape.
 *
 * @example
 * // intake-installers.ts
 * export const INTAKE_INSTALLERS = [httpIntakeInstaller, webSocketIntakeInstaller];
 */
export const webSocketIntakeInstaller: IntakeInstaller<ResolvedWebSocketIntakeOptions> = {
  option: 'websockets',
  resolveOptions: resolveWebSocketIntakeOptions,
  install({ coordinator, app, logger }, options) {
    const adapter = gatewayAdapterOf(app);
    if (adapter === undefined) return;
    const intake = new WebSocketIntake(options, coordinator.options.gracefulMs, logger);
    intake.install(coordinator.registerIntake(intake));
    trackGatewayMessages(adapter, intake);
  },
};
