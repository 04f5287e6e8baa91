/**
 * A message handler as Nest's microservice servers keep it (`MessageHandler` of
 * `@nestjs/microservices`): it resolves to the reply (a value or an Observable). Described here
 * structurally, so that the package stays an optional dependency.
 */
export interface RpcMessageHandler {
  (data: unknown, context?: unknown): unknown;
  isEventHandler?: boolean;
  extras?: Record<string, unknown>;
  next?: RpcMessageHandler;
}

/**
 * The part of a Nest microservice server (`Server` of `@nestjs/microservices`) the intake hooks
 * into: every transport looks its handler up here for each message, and Nest closes it last.
 */
export interface RpcServer {
  // Properties, not methods: the intake replaces them on the instance and calls the originals
  // with the server as `this`.
  getHandlerByPattern: (pattern: string) => RpcMessageHandler | null;
  close: (...args: unknown[]) => unknown;
}
