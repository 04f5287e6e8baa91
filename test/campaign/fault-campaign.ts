import fc from 'fast-check';
import { createTestCertificate } from '../support/tls-certificate.js';
import { runScenario } from './run-scenario.js';
import { scenarioArbitrary } from './scenario.arbitrary.js';

/** How to run the campaign. */
export interface CampaignOptions {
  runs: number;
  seed: number;
  /** Shrink a failure to a minimal scenario (each step is a real process run). */
  shrink: boolean;
  /** Stop (and fail) once this much time passed, shrinking included. */
  timeLimitMs?: number;
  /** fast-check's replay path of a failure (with its seed): runs that scenario (and shrinks it). */
  path?: string;
  /** Known findings (reported, not fixed yet) fail a run too. */
  strict?: boolean;
  /** One line per run. */
  log: (line: string) => void;
}

/** What a campaign did. */
export interface CampaignResult {
  runs: number;
  failed: boolean;
  /** fast-check's report: the seed, the path and the (shrunk) counterexample with its violations. */
  message?: string;
  /** Time of each run (ms), for the figures. */
  durationsMs: number[];
  /** Known findings met (not failures unless `strict`). */
  known: string[];
}

/** fast-check's summary (seed, path, shrunk counterexample), then the run's violations and output. */
function describeFailure(details: fc.RunDetails<unknown>): string {
  const error = details.errorInstance;
  const cause = error instanceof Error ? error.message : String(error);
  return `${fc.defaultReportMessage(details) ?? ''}\nViolations of the counterexample:\n${cause}`;
}

/**
 * The fault campaign (issue #9): random scenarios, each run against a fresh child process over
 * real sockets, every invariant checked on every run. Seeded: the same seed replays the same
 * scenarios; a failure is shrunk and printed with the seed and path that replay it.
 *
 * @example
 * const result = await runCampaign({ runs: 50, seed: 42, shrink: true, log: console.log });
 * if (result.failed) console.error(result.message);
 */
export async function runCampaign(options: CampaignOptions): Promise<CampaignResult> {
  const certificate = createTestCertificate();
  const durationsMs: number[] = [];
  const knownSeen: string[] = [];
  let runs = 0;
  try {
    const property = fc.asyncProperty(scenarioArbitrary, async (scenario) => {
      const startedAt = performance.now();
      const { violations, known, transcript, result } = await runScenario(scenario, {
        tls: certificate,
        strict: options.strict,
      });
      knownSeen.push(...known);
      const exitMs =
        result.exit !== undefined && result.firstSignalAt !== undefined
          ? `, exit ${Math.round(result.exit.at - result.firstSignalAt)} ms after the signal`
          : '';
      const tookMs = performance.now() - startedAt;
      durationsMs.push(tookMs);
      runs++;
      options.log(
        `run ${runs}: ${violations.length === 0 ? 'ok' : `${violations.length} violation(s)`}${known.length > 0 ? ` (${known.join('; ')})` : ''} in ${Math.round(tookMs)} ms${exitMs} — ${scenario.app.tasks.length} task(s), ${scenario.app.hooks.length} hook(s), ${scenario.clients.length} client(s), signals ${scenario.signals.join(',')}`,
      );
      if (violations.length > 0) {
        throw new Error(`${violations.map((v) => `- ${v}`).join('\n')}\n${transcript}`);
      }
    });
    const details = await fc.check(property, {
      numRuns: options.runs,
      seed: options.seed,
      path: options.path,
      endOnFailure: !options.shrink,
      // Runs bound themselves (RUN_TIMEOUT_MS); the whole campaign may be bounded too, and an
      // interrupted campaign fails rather than passing on fewer runs than asked.
      plugins:
        options.timeLimitMs === undefined
          ? []
          : [fc.interruptAfterTimeLimit(options.timeLimitMs, { failOnInterrupt: true })],
    });
    return {
      runs,
      failed: details.failed,
      message: details.failed ? describeFailure(details) : undefined,
      durationsMs,
      known: knownSeen,
    };
  } finally {
    certificate.remove();
  }
}
