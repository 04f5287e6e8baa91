import type { CallbackResult, DeadlineRun } from './deadline-run.js';
import type { DependencyNode } from './dependency-node.interface.js';
import type { HookRecord } from './hook-record.js';
import type { ShutdownPhase } from './shutdown-phase.enum.js';
import { DependencyCycleError } from './task-dependency.error.js';
import { PRIORITY_LEVELS, type TaskPriority } from './task-priority.enum.js';
import type { TaskRecord } from './task-record.js';

/** A shutdown's bookkeeping of one task alive when it began (or admitted during it). */
export interface TaskEntry {
  readonly kind: 'task';
  readonly record: TaskRecord;
  wave: number;
  /** Dependents in this plan not yet placed in a wave (planning only). */
  pendingDependents: number;
  /** When its wave began stopping it: its signal (abort) or the wait for it (drain). */
  stopStartedAt: number | undefined;
  /** Its signal was aborted by the shutdown. */
  signalled: boolean;
  endedAt: number | undefined;
  endedIn: ShutdownPhase | undefined;
  cleanup: CallbackResult | undefined;
  /** Its cleanup was run without waiting for it (FORCEFUL / TERMINATE). */
  forced: boolean;
  /** It no longer holds up its wave: ended (or forced) and cleaned up. */
  waveDone: boolean;
}

/** A shutdown's bookkeeping of one hook. */
export interface HookEntry {
  readonly kind: 'hook';
  readonly hook: HookRecord;
  wave: number;
  pendingDependents: number;
  run: DeadlineRun | undefined;
  startedAt: number | undefined;
  result: CallbackResult | undefined;
}

export interface Wave {
  readonly index: number;
  readonly tasks: TaskEntry[];
  readonly hooks: HookEntry[];
}

/** What one shutdown stops, wave by wave; owned by that shutdown's run. */
export interface ShutdownPlan {
  readonly waves: Wave[];
  /** Every task entry, in stop order: by wave, then first created first (admitted ones last). */
  readonly tasks: TaskEntry[];
  /** Every hook entry, in run order: by wave, then first registered first. */
  readonly hooks: HookEntry[];
  /** The entry of each task in the plan. */
  readonly entries: Map<TaskRecord, TaskEntry>;
}

type Entry = TaskEntry | HookEntry;

/** Wave of a priority alone: LOWEST stops in wave 0, CRITICAL in wave 4. */
export function priorityWave(priority: TaskPriority): number {
  return PRIORITY_LEVELS - 1 - priority;
}

function nameOf(entry: Entry): string {
  return entry.kind === 'task' ? entry.record.label : entry.hook.name;
}

function dependenciesOf(entry: Entry): readonly DependencyNode[] | undefined {
  return entry.kind === 'task' ? entry.record.dependencies : entry.hook.dependencies;
}

function taskEntry(record: TaskRecord, wave: number): TaskEntry {
  return {
    kind: 'task',
    record,
    wave,
    pendingDependents: 0,
    stopStartedAt: undefined,
    signalled: false,
    endedAt: undefined,
    endedIn: undefined,
    cleanup: undefined,
    forced: false,
    waveDone: false,
  };
}

/** The wave at `index`, made (with the empty ones before it) when the plan has none there. */
function ensureWave(plan: ShutdownPlan, index: number): Wave {
  while (plan.waves.length <= index) {
    plan.waves.push({ index: plan.waves.length, tasks: [], hooks: [] });
  }
  return plan.waves[index];
}

/**
 * Adds a task created during the shutdown (admitted by an intake, or started by work in flight)
 * to the later of its priority's wave and `minWave`, and returns its entry.
 */
export function admitToPlan(plan: ShutdownPlan, record: TaskRecord, minWave = 0): TaskEntry {
  const entry = taskEntry(record, Math.max(priorityWave(record.priority), minWave));
  ensureWave(plan, entry.wave).tasks.push(entry);
  plan.tasks.push(entry);
  plan.entries.set(record, entry);
  return entry;
}

/**
 * Places every live task and hook in a wave: the later of its priority's wave and one after the
 * latest wave of anything that depends on it. Kahn's algorithm from the dependents down, so the
 * work is O(tasks + hooks + dependencies). Dependencies on tasks that already ended are ignored.
 */
export function planShutdown(
  records: Iterable<TaskRecord>,
  hooks: readonly HookRecord[],
): ShutdownPlan {
  const all: Entry[] = [];
  const byNode = new Map<DependencyNode, Entry>();
  const entries = new Map<TaskRecord, TaskEntry>();
  for (const record of records) {
    const entry = taskEntry(record, priorityWave(record.priority));
    all.push(entry);
    byNode.set(record, entry);
    entries.set(record, entry);
  }
  for (const hook of hooks) {
    const entry: HookEntry = {
      kind: 'hook',
      hook,
      wave: priorityWave(hook.priority),
      pendingDependents: 0,
      run: undefined,
      startedAt: undefined,
      result: undefined,
    };
    all.push(entry);
    byNode.set(hook, entry);
  }

  for (const entry of all) {
    const dependencies = dependenciesOf(entry);
    if (dependencies === undefined) continue;
    for (const dependency of dependencies) {
      // A dependency that ended before the shutdown has no entry: nothing to wait for.
      const target = byNode.get(dependency);
      if (target !== undefined) target.pendingDependents++;
    }
  }
  const ready: Entry[] = [];
  for (const entry of all) if (entry.pendingDependents === 0) ready.push(entry);

  let placed = 0;
  let waveCount = 0;
  while (ready.length > 0) {
    const entry = ready.pop() as Entry;
    placed++;
    if (entry.wave >= waveCount) waveCount = entry.wave + 1;
    const dependencies = dependenciesOf(entry);
    if (dependencies === undefined) continue;
    for (const dependency of dependencies) {
      const target = byNode.get(dependency);
      if (target === undefined) continue;
      if (target.wave <= entry.wave) target.wave = entry.wave + 1;
      if (--target.pendingDependents === 0) ready.push(target);
    }
  }
  if (placed !== all.length) {
    // Bindings at creation make a cycle impossible; kept as a guard with a useful message.
    const stuck = all.filter((entry) => entry.pendingDependents > 0).map(nameOf);
    throw new DependencyCycleError([...stuck, stuck[0]]);
  }

  const waves: Wave[] = [];
  for (let index = 0; index < waveCount; index++) waves.push({ index, tasks: [], hooks: [] });
  for (const entry of all) {
    if (entry.kind === 'task') waves[entry.wave].tasks.push(entry);
    else waves[entry.wave].hooks.push(entry);
  }
  const tasks: TaskEntry[] = [];
  const hookEntries: HookEntry[] = [];
  for (const wave of waves) {
    for (const entry of wave.tasks) tasks.push(entry);
    for (const entry of wave.hooks) hookEntries.push(entry);
  }
  return { waves, tasks, hooks: hookEntries, entries };
}
