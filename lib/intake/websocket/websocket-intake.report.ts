/**
 * What the WebSocket intake did during a shutdown: `report.intakes.websockets`. A connection is
 * counted once, by how it ended; a message once, by how it ended.
 *
 * @example
 * // { connectionsAtStart: 120, connectionsDuringDrain: 3, lateConnections: 0, closedCleanly: 121,
 * //   closedAtForceful: 1, closedByClient: 1, terminated: 0, messagesAtStart: 14,
 * //   messagesDrained: 52, messagesRefused: 2, messagesCutOff: 1, windowMs: 1200 }
 */
export interface WebSocketIntakeReport {
  /** Connections open when the shutdown began. */
  connectionsAtStart: number;
  /** Connections opened during the drain (served as usual). */
  connectionsDuringDrain: number;
  /** Connections opened after intake closed: sent their close frame at once. */
  lateConnections: number;
  /** Sent the close frame in their turn, once every message they had in flight was answered. */
  closedCleanly: number;
  /** Still open when FORCEFUL began: sent the close frame then, replies in flight or not. */
  closedAtForceful: number;
  /** Went away on their own during the shutdown, before their turn. */
  closedByClient: number;
  /** Destroyed: the client did not complete the close handshake in time, or the shutdown ended. */
  terminated: number;
  /** Messages in flight when the shutdown began. */
  messagesAtStart: number;
  /** Messages handled during the shutdown whose reply left before their connection closed. */
  messagesDrained: number;
  /** Messages that arrived on a connection already closing: not handled, no reply. */
  messagesRefused: number;
  /** Messages still in flight when their connection closed (at FORCEFUL, or by the client). */
  messagesCutOff: number;
  /** The window the closes were spread over (from the first to the last turn), in ms. */
  windowMs: number;
}

declare module '../../core/intake.interface.js' {
  interface IntakeReports {
    websockets?: WebSocketIntakeReport;
  }
}
