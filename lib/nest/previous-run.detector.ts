import { Injectable } from '@nestjs/common';
import { readFileSync, rmSync } from 'node:fs';
import { hostname } from 'node:os';
import { describeError } from '../core/describe.js';
import { writeJsonAtomic } from '../primitives/write-json-atomic.js';

/**
 * A previous process that ended without finishing its shutdown: no report was written for its
 * run (it crashed, was SIGKILLed — an OOM kill, a grace period that ran out — or exited without
 * closing the application).
 *
 * @example
 * // { pid: 4211, startedAt: '2026-11-30T22:14:03.120Z', hostname: 'orders-7d9f-x2', markerFile: '/data/last-shutdown.json.running' }
 */
export interface UnreportedRun {
  /** The previous process's pid. */
  readonly pid: number;
  /** When the previous process started (ISO 8601). */
  readonly startedAt: string;
  readonly hostname: string;
  /** The marker it left, beside `reportFile`. */
  readonly markerFile: string;
}

/** What a process writes beside `reportFile` at boot, and removes once its shutdown is over. */
interface RunMarker {
  readonly version: 1;
  readonly pid: number;
  readonly startedAt: string;
  readonly hostname: string;
}

function isRunMarker(value: unknown): value is RunMarker {
  if (typeof value !== 'object' || value === null) return false;
  const marker = value as Partial<RunMarker>;
  return (
    typeof marker.pid === 'number' &&
    typeof marker.startedAt === 'string' &&
    typeof marker.hostname === 'string'
  );
}

/** The marker of the run that `reportFile` belongs to: `<reportFile>.running`. */
export function runMarkerPath(reportFile: string): string {
  return `${reportFile}.running`;
}

/**
 * Tells whether the previous process sharing `reportFile` ended without a shutdown report. At
 * boot it reads the marker the previous run left beside `reportFile` (`<reportFile>.running`:
 * its pid, start time and host) and writes this run's; the marker is removed once this run's
 * shutdown is over and its report written (`finish`). A marker found at boot therefore means the
 * previous run never got there: the module logs a warning, and `unreportedRun` says which run.
 * Give each instance its own `reportFile` (replicas sharing one would read each other's marker).
 *
 * @example
 * @Injectable()
 * class StartupAudit implements OnApplicationBootstrap {
 *   constructor(private readonly previousRun: PreviousRunDetector) {}
 *   onApplicationBootstrap() {
 *     const lost = this.previousRun.unreportedRun;
 *     if (lost) metrics.increment('unclean_exit', { pid: lost.pid });
 *   }
 * }
 */
@Injectable()
export class PreviousRunDetector {
  #unreported: UnreportedRun | undefined;
  #marker: string | undefined;
  // The process's start, not this app's: with the pid and host it tells this process apart from
  // a previous one (in a container every run may well be pid 1).
  readonly #startedAt = new Date(performance.timeOrigin).toISOString();

  /** The previous run that ended without a shutdown report, once detected at boot; else `undefined`. */
  get unreportedRun(): UnreportedRun | undefined {
    return this.#unreported === undefined ? undefined : { ...this.#unreported };
  }

  /**
   * Reads the previous run's marker and leaves this run's. Returns what was found and the
   * problem writing the new marker, if any; never throws.
   */
  async detect(
    reportFile: string,
  ): Promise<{ unreported: UnreportedRun | undefined; problem: string | undefined }> {
    const markerFile = runMarkerPath(reportFile);
    const previous = readMarker(markerFile);
    // Another application of this very process (tests, two apps in one process) is not a
    // previous run.
    if (previous !== undefined && !this.#isThisProcess(previous)) {
      const { pid, startedAt, hostname: host } = previous;
      this.#unreported = { pid, startedAt, hostname: host, markerFile };
    }
    const marker: RunMarker = {
      version: 1,
      pid: process.pid,
      startedAt: this.#startedAt,
      hostname: hostname(),
    };
    try {
      await writeJsonAtomic(markerFile, marker);
      this.#marker = markerFile;
      return { unreported: this.unreportedRun, problem: undefined };
    } catch (error) {
      return { unreported: this.unreportedRun, problem: describeError(error) };
    }
  }

  #isThisProcess(marker: RunMarker): boolean {
    return (
      marker.pid === process.pid &&
      marker.startedAt === this.#startedAt &&
      marker.hostname === hostname()
    );
  }

  /**
   * This run's shutdown is over (its report written, or the attempt logged): the marker goes.
   * Synchronous, so that the watchdog can call it just before `process.exit`; never throws.
   */
  finish(): void {
    const marker = this.#marker;
    if (marker === undefined) return;
    this.#marker = undefined;
    try {
      rmSync(marker, { force: true });
    } catch {
      // Nothing to do about it now: the next boot will warn about a run that did end.
    }
  }
}

function readMarker(path: string): RunMarker | undefined {
  try {
    const value: unknown = JSON.parse(readFileSync(path, 'utf8'));
    return isRunMarker(value) ? value : undefined;
  } catch {
    // Missing (the normal case) or torn: a marker is written atomically, so torn means foreign.
    return undefined;
  }
}
