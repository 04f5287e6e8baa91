import { describeValue } from './describe.js';
import { priorityName, type TaskPriority } from './task-priority.enum.js';
import type { ShutdownPhase } from './shutdown-phase.enum.js';

/** Every user-facing message of the engine, as small factories. */
export const CoreMessages = {
  cancelled: (phase?: ShutdownPhase, reason?: string) =>
    phase === undefined
      ? 'The task was cancelled'
      : `The task was cancelled: shutdown (${reason ?? 'manual'}) is in its ${phase} phase`,
  timedOut: (what: string, timeoutMs: number) => `${what} timed out after ${timeoutMs} ms`,
  returnedLate: (what: string, durationMs: number) =>
    `${what}, which returned after ${Math.round(durationMs)} ms,`,
  shutdownInProgress: (what: string) =>
    `Cannot ${what}: shutdown has begun and no new work is accepted`,
  duplicateDeclaration: (name: string, first: string, second: string) =>
    `The name "${name}" is used twice: by ${first} and by ${second}; names of tasks and hooks must be unique`,
  duplicateName: (name: string) =>
    `A task or shutdown hook named "${name}" is already registered; names must be unique among live tasks and hooks`,
  reservedName: (name: string) =>
    `The name "${name}" is reserved for generated task names (task#<number>); choose another name`,
  unknownDependency: (name: string, dependency: string) =>
    `"${name}" depends on "${dependency}", but no live task or shutdown hook has that name`,
  dependencyCycle: (cycle: readonly string[]) =>
    `Dependency cycle: ${cycle.map((n) => `"${n}"`).join(' → ')}`,
  invalidOption: (path: string, value: unknown, expected: string) =>
    `Invalid option ${path} = ${describeValue(value)}: expected ${expected}`,
  unknownOption: (path: string, value: unknown, known: readonly string[]) =>
    `Unknown option ${path} = ${describeValue(value)}; known options are: ${known.join(', ')}`,
  budgetsExceedGracePeriod: (totalMs: number, gracePeriodMs: number) =>
    `the longest drain + the phase budgets = ${totalMs} ms, more than gracePeriodMs = ${gracePeriodMs} ms: ` +
    'the orchestrator may kill the process before the shutdown ends',
  taskFailed: (name: string) => `Task "${name}" failed`,
  onErrorFailed: (name: string) => `The onError handler of task "${name}" threw`,
  shutdownStarted: (reason: string, tasks: number, hooks: number) =>
    `Shutdown started (${reason}): ${tasks} task(s), ${hooks} hook(s)`,
  phaseEntered: (phase: ShutdownPhase, budgetMs: number, why: string) =>
    `Entering ${phase} phase (budget ${budgetMs} ms, ${why})`,
  progress: (phase: ShutdownPhase, elapsedMs: number, budgetMs: number, waiting: string[]) =>
    `Still in ${phase} phase after ${Math.round(elapsedMs)} ms of ${budgetMs} ms; waiting for ` +
    `${waiting.length > 5 ? `${waiting.slice(0, 5).join(', ')} and ${waiting.length - 5} more` : waiting.join(', ')}`,
  abandoned: (names: string[]) =>
    `Abandoned after the terminate budget: ${names.slice(0, 10).join(', ')}${names.length > 10 ? ` and ${names.length - 10} more` : ''}`,
  lateFailure: (name: string) => `Abandoned work "${name}" failed after the shutdown gave up on it`,
  callbackTrouble: (what: string, outcome: 'failed' | 'timeout') =>
    `${what} ${outcome === 'timeout' ? 'timed out' : 'failed'}`,
  draining: (elapsedMs: number, maxMs: number) =>
    `Draining: readiness is down, intake still open; ${Math.round(elapsedMs)} ms of at most ${maxMs} ms elapsed`,
  intakeFailed: (intake: string, step: string) => `Intake "${intake}" failed in ${step}()`,
  taskState: (name: string, priority: TaskPriority, from: string, to: string) =>
    `task "${name}" (${priorityName(priority)}) ${from} → ${to}`,
} as const;
