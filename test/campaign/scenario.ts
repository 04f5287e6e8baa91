/**
 * One run of the fault campaign: what the child application does (its tasks, hooks, logger,
 * report file, TLS, drain) and what the parent does to it (signals and clients). Plain JSON: the
 * application half travels to the child in `SCENARIO`, the whole is what fast-check generates,
 * shrinks and prints.
 */

/** How a task behaves once the shutdown reaches it. */
export type TaskBehaviour =
  | 'honours' // ends when its signal aborts
  | 'ignores' // never ends, whatever the signal
  | 'throws' // rejects with a hostile value when signalled
  | 'blocks' // blocks the event loop, then ends
  | 'escalates' // calls escalate() when signalled
  | 'reenters' // calls shutdown() again when signalled, without waiting for it
  | 'awaits-shutdown' // awaits shutdown() from inside itself (a deadlock the budgets must break)
  | 'spawns'; // creates a task while the shutdown runs, then ends

/** How a task's cleanup behaves. */
export type CleanupBehaviour = 'ok' | 'throws' | 'blocks';

/** How a shutdown hook behaves. */
export type HookBehaviour = 'ok' | 'throws' | 'hangs' | 'blocks';

/** Hostile values a task, cleanup or hook throws (DESIGN §7). */
export type HostileValue =
  'throwing-getter' | 'proxy' | 'revoked-proxy' | 'cause-cycle' | 'undefined' | 'string';

export interface TaskSpec {
  behaviour: TaskBehaviour;
  /** `TaskPriority`, 0 (CRITICAL) … 4 (LOWEST). */
  priority: number;
  stop: 'abort' | 'drain';
  cleanup: CleanupBehaviour;
  hostile: HostileValue;
}

export interface HookSpec {
  behaviour: HookBehaviour;
  priority: number;
  hostile: HostileValue;
}

/** What the child application is made of. */
export interface AppScenario {
  tls: boolean;
  /** `drainDelayMs`: 0, or a short fixed drain. */
  drainMs: number;
  tasks: TaskSpec[];
  hooks: HookSpec[];
  /** `ok`; `throws-after-start`: every call throws once the shutdown began; `throws-often`: every other call. */
  logger: 'ok' | 'throws-after-start' | 'throws-often';
  /** `ok`: a writable path; `unwritable`: a path under a regular file; `none`. */
  reportFile: 'ok' | 'unwritable' | 'none';
  /** A WebSocket server on the HTTP server, closed by a CRITICAL hook (the upgraded clients' owner). */
  websocket: boolean;
}

/** When the parent sends a signal, read from the lines the child prints. */
export type SignalMoment =
  | 'during-bootstrap' // while an onModuleInit still runs
  | 'ready' // once the app listens and every client is in flight
  | 'draining' // once the shutdown began (a repeat)
  | 'graceful' // once GRACEFUL began (a repeat: escalates)
  | 'forceful'; // once FORCEFUL began (a repeat: TERMINATE)

/** What a client does; `late` parts are sent once GRACEFUL began. */
export type ClientKind =
  | 'keep-alive' // a request, then another on the same connection once GRACEFUL began
  | 'pipelined' // three requests in one write
  | 'half-sent' // headers cut in two, the rest sent once GRACEFUL began
  | 'slow-upload' // a body trickled in two parts
  | 'http10' // an HTTP/1.0 request on a new connection once GRACEFUL began
  | 'expect-continue' // `Expect: 100-continue`, the body sent after the interim response
  | 'upgrade'; // a WebSocket

export interface ClientSpec {
  kind: ClientKind;
  /** How long the handler works on each request. */
  workMs: number;
}

export interface Scenario {
  app: AppScenario;
  /** The first signal's moment, then repeats (each sent only if its moment comes). */
  signals: SignalMoment[];
  clients: ClientSpec[];
}

/** The budgets of every run: small, so that a run is a few seconds. */
export const CAMPAIGN_PHASES = { gracefulMs: 1500, forcefulMs: 600, terminateMs: 400 } as const;
/** A cleanup's or hook's deadline. */
export const CAMPAIGN_CLEANUP_TIMEOUT_MS = 250;
/** How long a blocking task, cleanup or hook keeps the event loop. */
export const CAMPAIGN_BLOCK_MS = 120;
/** The budgets' sum: the bound on a shutdown (drain excluded). */
export const CAMPAIGN_BUDGETS_MS =
  CAMPAIGN_PHASES.gracefulMs + CAMPAIGN_PHASES.forcefulMs + CAMPAIGN_PHASES.terminateMs;
