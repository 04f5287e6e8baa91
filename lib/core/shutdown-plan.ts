import type { CallbackResult, DeadlineRun } from './deadline-run.js';
import type { DependencyNode } from './dependency-node.interface.js';
import { HookRecord } from './hook-record.js';
import type { ShutdownPhase } from './shutdown-phase.enum.js';
import { DependencyCycleError } from './task-dependency.error.js';
import { PRIORITY_LEVELS, type TaskPriority } from './task-priority.enum.js';
import type { TaskRecord } from './task-record.js';

/** A shutdown's bookkeeping of one task alive when it began (or admitted during it). */
export interface TaskEntry {
  readonly kind: 'task';
  readonly record: TaskRecord;
  wave: number;
  /** Dependents in this plan not yet placed in a wave (planning by Kahn's algorithm only). */
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
  /** Every entry, at the `planIndex` of its node. */
  readonly entries: Entry[];
  /** Tasks planned that had not ended (counted while planning: no second pass). */
  readonly running: number;
  /** Tasks planned that had ended but were still cleaning up: the shutdown waits for them too. */
  readonly cleaningUp: readonly TaskEntry[];
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

/** The entry of `node` in `plan`; `undefined` for a node the plan never saw (ended before). */
function entryOf(plan: { readonly entries: Entry[] }, node: DependencyNode): Entry | undefined {
  const index = node.planIndex;
  if (index < 0) return undefined;
  const entry = plan.entries[index];
  // Guard against a node planned by another coordinator's shutdown (a foreign dependency).
  return entry !== undefined && (entry.kind === 'task' ? entry.record : entry.hook) === node
    ? entry
    : undefined;
}

/**
 * The task entry of `record` in `plan`, or `undefined` when it is not part of this shutdown.
 * O(1): an array load through the record's `planIndex`, no Map.
 */
export function taskEntryOf(plan: ShutdownPlan, record: TaskRecord): TaskEntry | undefined {
  const entry = entryOf(plan, record);
  return entry?.kind === 'task' ? entry : undefined;
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
  record.planIndex = plan.entries.length;
  plan.entries.push(entry);
  return entry;
}

/**
 * Places every live task and hook in a wave: the later of its priority's wave and one after the
 * latest wave of anything that depends on it. O(tasks + hooks + dependencies), with no Map: a
 * node's entry is found through its `planIndex`.
 *
 * A dependency is bound when its dependent is created, so it always comes earlier: hooks in
 * registration order, tasks in creation order. With the hooks placed first, the reverse of the
 * list is therefore an order in which every entry comes after all its dependents — one backward
 * pass settles each wave for good, with no queue and no counters. That order only breaks when a
 * hook depends on a task (it was registered after that task); then Kahn's algorithm runs.
 * Dependencies on tasks that already ended are ignored. Runs once per process, mostly before the
 * optimiser has seen it: few passes, no calls per node.
 */
export function planShutdown(
  first: TaskRecord | undefined,
  hooks: readonly HookRecord[],
): ShutdownPlan {
  const all: Entry[] = [];
  const cleaningUp: TaskEntry[] = [];
  let hookNeedsTask = false;
  // The latest wave any entry is in, kept up to date as entries are placed (no pass to find it).
  let lastWave = -1;
  for (const hook of hooks) {
    hook.planIndex = all.length;
    const wave = priorityWave(hook.priority);
    if (wave > lastWave) lastWave = wave;
    all.push({
      kind: 'hook',
      hook,
      wave,
      pendingDependents: 0,
      run: undefined,
      startedAt: undefined,
      result: undefined,
    });
    if (hook.dependencies !== undefined) {
      for (const dependency of hook.dependencies) {
        if (!(dependency instanceof HookRecord)) hookNeedsTask = true;
      }
    }
  }
  const hookCount = all.length;
  let running = 0;
  for (let record = first; record !== undefined; record = record.next) {
    record.planIndex = all.length;
    const wave = PRIORITY_LEVELS - 1 - record.priority;
    if (wave > lastWave) lastWave = wave;
    const entry = taskEntry(record, wave);
    all.push(entry);
    // Read here, while the record is at hand: the run needs both and would walk them again.
    if (!record.ended) running++;
    else if (!record.cleanupDone) cleaningUp.push(entry);
  }
  const plan: ShutdownPlan = { waves: [], tasks: [], hooks: [], entries: all, running, cleaningUp };

  if (hookNeedsTask) placeByKahn(plan);
  else lastWave = Math.max(lastWave, placeBackwards(plan));

  // In stop order, as `tasks` lists them (sort is stable; almost always empty).
  if (cleaningUp.length > 1) cleaningUp.sort((a, b) => a.wave - b.wave);
  // Waves in order; within a wave, first created (registered) first.
  const waves = plan.waves;
  const waveCount = hookNeedsTask ? countWaves(all) : lastWave + 1;
  for (let index = 0; index < waveCount; index++) waves.push({ index, tasks: [], hooks: [] });
  for (let i = 0; i < hookCount; i++) {
    const entry = all[i] as HookEntry;
    waves[entry.wave].hooks.push(entry);
  }
  for (let i = hookCount; i < all.length; i++) {
    const entry = all[i] as TaskEntry;
    waves[entry.wave].tasks.push(entry);
  }
  for (const wave of waves) {
    for (const entry of wave.tasks) plan.tasks.push(entry);
    for (const entry of wave.hooks) plan.hooks.push(entry);
  }
  return plan;
}

function countWaves(all: readonly Entry[]): number {
  let count = 0;
  for (const entry of all) if (entry.wave >= count) count = entry.wave + 1;
  return count;
}

/**
 * The backward pass: every entry's dependents come later in `entries`, so are already placed.
 * Returns the latest wave it moved an entry to (-1 when it moved none).
 */
function placeBackwards(plan: ShutdownPlan): number {
  const all = plan.entries;
  let lastWave = -1;
  for (let i = all.length - 1; i >= 0; i--) {
    const entry = all[i];
    const dependencies =
      entry.kind === 'task' ? entry.record.dependencies : entry.hook.dependencies;
    if (dependencies === undefined) continue;
    const next = entry.wave + 1;
    for (const dependency of dependencies) {
      const target = entryOf(plan, dependency);
      // A dependency that ended before the shutdown has no entry: nothing to wait for.
      if (target !== undefined && target.wave < next) {
        target.wave = next;
        if (next > lastWave) lastWave = next;
      }
    }
  }
  return lastWave;
}

/** Kahn's algorithm from the dependents down, for graphs where a hook depends on a task. */
function placeByKahn(plan: ShutdownPlan): void {
  const all = plan.entries;
  for (const entry of all) {
    const dependencies = dependenciesOf(entry);
    if (dependencies === undefined) continue;
    for (const dependency of dependencies) {
      const target = entryOf(plan, dependency);
      if (target !== undefined) target.pendingDependents++;
    }
  }
  const ready: Entry[] = [];
  for (const entry of all) if (entry.pendingDependents === 0) ready.push(entry);
  let placed = 0;
  while (ready.length > 0) {
    const entry = ready.pop() as Entry;
    placed++;
    const dependencies = dependenciesOf(entry);
    if (dependencies === undefined) continue;
    for (const dependency of dependencies) {
      const target = entryOf(plan, dependency);
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
}
