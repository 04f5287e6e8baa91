import type { WebSocketAdapter } from '@nestjs/common';

/** Where Nest keeps the WebSocket adapter: `ApplicationConfig`, held by the container. */
interface ContainerHolder {
  container?: { applicationConfig?: { getIoAdapter?: () => unknown } };
}

/**
 * The WebSocket adapter the application's gateways were bound with — the one set by
 * `app.useWebSocketAdapter()`, or the `IoAdapter` Nest creates for the first gateway — or
 * `undefined` when there is none (no gateway). Nest keeps it in its `ApplicationConfig`, which is
 * no provider: it is read through the container every `ModuleRef` holds (Nest 11 and 12 alike).
 * By `onApplicationBootstrap`, when installers run, gateways are bound to it and no client has
 * been let in yet (Nest accepts a gateway's clients once bootstrap is over).
 *
 * @example
 * const adapter = gatewayAdapterOf(moduleRef);
 * if (adapter !== undefined) trackGatewayMessages(adapter, intake);
 */
export function gatewayAdapterOf(app: unknown): WebSocketAdapter | undefined {
  let adapter: unknown;
  try {
    adapter = (app as ContainerHolder).container?.applicationConfig?.getIoAdapter?.();
  } catch {
    // Not a Nest ModuleRef as we know it: no gateway we can reach.
    return undefined;
  }
  if (typeof adapter !== 'object' || adapter === null) return undefined;
  const bind = (adapter as Partial<WebSocketAdapter>).bindMessageHandlers;
  return typeof bind === 'function' ? (adapter as WebSocketAdapter) : undefined;
}
