/** Seed used by every run, so that all runs and implementations see the same task graph. */
export const DEFAULT_SEED = 0x5eed;

/** Priority levels, as `TaskPriority` numbers: 0 = CRITICAL … 4 = LOWEST. */
export const PRIORITY_LEVELS = 5;

/** Shape of one generated task: its priority level and the earlier tasks it depends on. */
export interface TaskSpec {
  /** 0 … PRIORITY_LEVELS - 1, a `TaskPriority` value. */
  readonly priority: number;
  /** Indexes of earlier tasks, distinct, at most two. */
  readonly dependsOn: readonly number[];
}

/**
 * A small, fast, seeded pseudo-random generator (mulberry32): uniform floats in [0, 1).
 *
 * @example
 * const random = seededRandom(42);
 * random(); // the same sequence on every run
 */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * `n` tasks with a uniformly random priority each, depending on 0–2 distinct earlier tasks
 * chosen uniformly at random. Deterministic for a given seed.
 *
 * @example
 * const graph = generateTaskGraph(10_000, DEFAULT_SEED);
 */
export function generateTaskGraph(n: number, seed: number): TaskSpec[] {
  const random = seededRandom(seed);
  const pick = (below: number): number => Math.floor(random() * below);
  const graph: TaskSpec[] = new Array<TaskSpec>(n);
  for (let i = 0; i < n; i++) {
    const priority = pick(PRIORITY_LEVELS);
    const count = Math.min(pick(3), i);
    const dependsOn: number[] = [];
    while (dependsOn.length < count) {
      const target = pick(i);
      if (!dependsOn.includes(target)) dependsOn.push(target);
    }
    graph[i] = { priority, dependsOn };
  }
  return graph;
}
