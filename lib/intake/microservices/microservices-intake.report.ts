/**
 * The transports the microservices intake drains: the keys of its report section.
 *
 * @example
 * const transport: MicroserviceTransport = 'rmq';
 * report.intakes?.microservices?.[transport]?.handedBack;
 */
export type MicroserviceTransport = 'tcp' | 'redis' | 'nats' | 'rmq';

/**
 * What the intake did with one transport's messages during a shutdown. Every message that was
 * running when the shutdown began or was admitted after ends in exactly one of `drained`,
 * `handedBack` or `unfinished`: `inFlightAtStart + admitted = drained + handedBack + unfinished`.
 *
 * @example
 * // { servers: 1, inFlightAtStart: 4, admitted: 2, drained: 5, handedBack: 1, refused: 3,
 * //   dropped: 0, unfinished: 0 }
 */
export interface MicroserviceTransportReport {
  /** Servers of this transport in the application. */
  servers: number;
  /** Messages being handled when the shutdown began. */
  inFlightAtStart: number;
  /**
   * Messages taken after the shutdown began: delivered by the broker before it confirmed that
   * the consumer stopped, or events on a TCP connection while their wave was open.
   */
  admitted: number;
  /**
   * Messages that finished during the shutdown: their handler completed and its reply went (or
   * failed on its own and its error went).
   */
  drained: number;
  /**
   * At FORCEFUL, messages still running that were handed back: nacked for redelivery (RabbitMQ),
   * or requests answered with a retryable error (`isRetryableRpcError`).
   */
  handedBack: number;
  /**
   * Messages not taken because the shutdown had begun: nacked for redelivery (RabbitMQ),
   * requests answered with a retryable error, or left unread on a TCP connection that was
   * closing (the client sees its connection close).
   */
  refused: number;
  /** Events that arrived too late and that the transport cannot redeliver: lost, and logged. */
  dropped: number;
  /**
   * Messages still running at FORCEFUL that the transport could not hand back (events without
   * redelivery, RabbitMQ messages the handler had already acknowledged), and that then failed
   * or were cancelled — or are still running when the report is read: lost, in whole or in part.
   */
  unfinished: number;
}

/**
 * What the microservices intake did during a shutdown, by transport:
 * `report.intakes.microservices`. A transport the application does not use has no key.
 *
 * @example
 * // { rmq: { servers: 1, inFlightAtStart: 5, admitted: 0, drained: 4, handedBack: 1, … } }
 */
export type MicroservicesIntakeReport = Partial<
  Record<MicroserviceTransport, MicroserviceTransportReport>
>;

declare module '../../core/intake.interface.js' {
  interface IntakeReports {
    microservices?: MicroservicesIntakeReport;
  }
}
