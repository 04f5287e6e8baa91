import { describeError } from '../../core/describe.js';
import type { Intake } from '../../core/intake.interface.js';
import type { LifecycleLogger } from '../../core/lifecycle-logger.interface.js';
import { StaggeredClose } from '../staggered-close.js';
import { SseMessages } from './sse.messages.js';
import type { ResolvedSseIntakeOptions } from './sse-intake.options.js';
import type { SseIntakeReport } from './sse-intake.report.js';

/** What a long-lived response is: an SSE stream, or a long-poll waiting for its answer. */
export type LongLivedKind = 'stream' | 'poll';

/** One long-lived response open now, and how to end it. */
interface Hold {
  readonly kind: LongLivedKind;
  readonly end: () => void;
}

/** Releases a hold: the response ended by itself. */
export type ReleaseHold = () => void;

const NOTHING_TO_RELEASE: ReleaseHold = () => undefined;

/**
 * The long-lived responses of one application — SSE streams and long-polls that opted in with
 * `endOnShutdown()` or `longPoll()` — plugged into the intake seam. While the drain runs they
 * carry on (the load balancer may still send their reconnections here); when intake closes they
 * are ended one after another over the spread window (a stream with a final `retry:` event, a
 * long-poll with its early answer), so their clients reconnect elsewhere without all arriving
 * at once; one opened after intake closed ends at once; FORCEFUL ends what the spread has not
 * reached yet. Their HTTP requests then complete and the HTTP wave drains them like any request.
 */
export class SseIntake implements Intake {
  readonly name = 'sse';
  private readonly holds = new Set<Hold>();
  private readonly stagger = new StaggeredClose<Hold>((hold) => this.end(hold));
  private readonly counters: SseIntakeReport = {
    openAtStart: 0,
    streamsEnded: 0,
    pollsAnswered: 0,
    openedAfterClose: 0,
    endedAtForceful: 0,
  };
  private closed = false;

  /**
   * @param windowMs the spread window (see `spreadWindowMs`).
   * @param closed `true` for an intake registered too late to hear intake close: everything
   *   opened on it ends at once.
   */
  constructor(
    private options: ResolvedSseIntakeOptions,
    private windowMs: number,
    private logger?: LifecycleLogger,
    closed = false,
  ) {
    this.closed = closed;
  }

  /** The module's `sse` option, for an intake a helper registered before bootstrap finished. */
  configure(options: ResolvedSseIntakeOptions, windowMs: number, logger?: LifecycleLogger): void {
    this.options = options;
    this.windowMs = windowMs;
    this.logger = logger;
  }

  /** The default `retry:` hint of a stream's last event. */
  get retryMs(): number {
    return this.options.retryMs;
  }

  /**
   * A long-lived response opened: `end` is called once, at its turn after intake closed — at
   * once when intake has closed already. The returned function releases it when it ended by
   * itself (the client left, the producer completed, the poll was answered).
   */
  hold(kind: LongLivedKind, end: () => void): ReleaseHold {
    const hold: Hold = { kind, end };
    if (this.closed) {
      this.counters.openedAfterClose++;
      this.end(hold);
      return NOTHING_TO_RELEASE;
    }
    this.holds.add(hold);
    return () => {
      if (this.holds.delete(hold)) this.stagger.remove(hold);
    };
  }

  report(): SseIntakeReport {
    return { ...this.counters };
  }

  shutdownStarted(): void {
    this.counters.openAtStart = this.holds.size;
  }

  intakeClosed(): void {
    this.closed = true;
    this.stagger.start([...this.holds], this.windowMs);
  }

  forcefulStarted(): void {
    this.closed = true;
    this.counters.endedAtForceful += this.holds.size;
    // The spread is cut short: what it has not reached ends now, before FORCEFUL cuts it.
    this.stagger.stop();
    for (const hold of [...this.holds]) this.end(hold);
  }

  /** Nothing may keep a response open past the shutdown: whatever is left ends now. */
  shutdownEnded(): void {
    this.closed = true;
    this.stagger.stop();
    for (const hold of [...this.holds]) this.end(hold);
  }

  private end(hold: Hold): void {
    this.holds.delete(hold);
    if (hold.kind === 'stream') this.counters.streamsEnded++;
    else this.counters.pollsAnswered++;
    try {
      hold.end();
    } catch (error) {
      // Called from a timer: a throw here would be uncaught. The other responses still end.
      this.logger?.warn(SseMessages.endFailed(hold.kind, describeError(error)));
    }
  }
}
