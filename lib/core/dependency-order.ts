import {
  DependencyCycleError,
  DuplicateTaskNameError,
  UnknownDependencyError,
} from './task-dependency.error.js';

/** Something named that may depend on other names: a decorated task or hook, before it exists. */
export interface DependencyDeclaration {
  readonly name: string;
  readonly dependsOn?: Iterable<string>;
}

/**
 * Orders declarations so that every dependency comes before what depends on it — the order to
 * register them in — in O(declarations + dependencies). Throws `DuplicateTaskNameError`,
 * `UnknownDependencyError` (a name neither declared nor in `existing`) or `DependencyCycleError`
 * naming every task of the loop. Used to validate decorators at bootstrap, before anything runs.
 *
 * @example
 * orderByDependencies([{ name: 'consumer', dependsOn: ['db'] }, { name: 'db' }]);
 * // → [{ name: 'db' }, { name: 'consumer', dependsOn: ['db'] }]
 */
export function orderByDependencies<T extends DependencyDeclaration>(
  declarations: readonly T[],
  existing: (name: string) => boolean = () => false,
): T[] {
  const byName = new Map<string, number>();
  declarations.forEach((declaration, index) => {
    if (byName.has(declaration.name) || existing(declaration.name)) {
      throw new DuplicateTaskNameError(declaration.name);
    }
    byName.set(declaration.name, index);
  });

  const edges: number[][] = declarations.map((declaration) => {
    const targets: number[] = [];
    for (const dependency of declaration.dependsOn ?? []) {
      const target = byName.get(dependency);
      if (target !== undefined) targets.push(target);
      else if (!existing(dependency))
        throw new UnknownDependencyError(declaration.name, dependency);
    }
    return targets;
  });

  // Depth-first, iterative: 0 unvisited, 1 on the current path, 2 done.
  const mark = new Uint8Array(declarations.length);
  const ordered: T[] = [];
  for (let root = 0; root < declarations.length; root++) {
    if (mark[root] !== 0) continue;
    const path: number[] = [root];
    const cursor: number[] = [0];
    mark[root] = 1;
    while (path.length > 0) {
      const top = path.length - 1;
      const node = path[top];
      const next = edges[node][cursor[top]++];
      if (next === undefined) {
        mark[node] = 2;
        ordered.push(declarations[node]);
        path.pop();
        cursor.pop();
      } else if (mark[next] === 1) {
        const loop = path.slice(path.indexOf(next)).map((i) => declarations[i].name);
        throw new DependencyCycleError([...loop, declarations[next].name]);
      } else if (mark[next] === 0) {
        mark[next] = 1;
        path.push(next);
        cursor.push(0);
      }
    }
  }
  return ordered;
}
