import { describe, expect, it } from '@jest/globals';
import {
  liveDependencies,
  planRegistration,
  type OrderedDeclaration,
} from '../../../lib/discovery/declaration-order.js';
import { InvalidLifecycleDeclarationError } from '../../../lib/discovery/invalid-declaration.error.js';
import { thrownBy } from '../../support/thrown.js';

function task(name: string, dependsOn: string[] = [], where = `@ManagedTask() on ${name}`) {
  return { kind: 'bootstrap-task', name, dependsOn, where } satisfies OrderedDeclaration;
}
function call(name: string, dependsOn: string[] = [], where = `@ManagedTask() on ${name}`) {
  return { kind: 'call-task', name, dependsOn, where } satisfies OrderedDeclaration;
}
function hook(name: string, dependsOn: string[] = [], where = `@OnShutdown() on ${name}`) {
  return { kind: 'hook', name, dependsOn, where } satisfies OrderedDeclaration;
}
const nothingRegistered = (): boolean => false;
const names = (list: readonly OrderedDeclaration[]) => list.map((d) => d.name);

describe('planRegistration', () => {
  it('registers hooks at init and bootstrap tasks at bootstrap, dependencies first; call tasks in neither', () => {
    const plan = planRegistration(
      [task('consumer', ['db']), call('Jobs.process', ['db']), hook('db'), hook('cache', ['db'])],
      nothingRegistered,
    );
    expect(names(plan.atInit)).toEqual(['db', 'cache']);
    expect(names(plan.atBootstrap)).toEqual(['consumer']);
  });

  it('defers a hook that depends on a bootstrap task, directly or through another hook', () => {
    const plan = planRegistration(
      [hook('flush', ['metrics']), hook('metrics', ['poller']), task('poller'), hook('db')],
      nothingRegistered,
    );
    expect(names(plan.atInit)).toEqual(['db']);
    expect(names(plan.atBootstrap)).toEqual(['poller', 'metrics', 'flush']);
  });

  it('accepts a dependency on a name the coordinator already has', () => {
    const plan = planRegistration(
      [task('consumer', ['dynamic-hook'])],
      (name) => name === 'dynamic-hook',
    );
    expect(names(plan.atBootstrap)).toEqual(['consumer']);
  });

  it.each<[string, OrderedDeclaration[], string]>([
    [
      'an unknown dependency of a task',
      [task('Worker.loop', ['ghost'], '@ManagedTask() on Worker.loop')],
      '@ManagedTask() on Worker.loop: "Worker.loop" depends on "ghost", but no live task or shutdown hook has that name',
    ],
    [
      'an unknown dependency of a hook',
      [hook('db-pool', ['metrics'], '@OnShutdown() on Pool.close')],
      '@OnShutdown() on Pool.close: "db-pool" depends on "metrics", but no live task or shutdown hook has that name',
    ],
    [
      'a cycle between tasks and hooks',
      [
        task('a', ['b'], '@ManagedTask() on A.run'),
        task('b', ['c'], '@ManagedTask() on B.run'),
        hook('c', ['a'], '@OnShutdown() on C.close'),
      ],
      '@ManagedTask() on A.run: Dependency cycle: "a" → "b" → "c" → "a"',
    ],
    [
      'a task that depends on itself',
      [task('Loop.run', ['Loop.run'], '@ManagedTask() on Loop.run')],
      '@ManagedTask() on Loop.run: Dependency cycle: "Loop.run" → "Loop.run"',
    ],
    [
      'two tasks with one name',
      [
        task('sync', [], '@ManagedTask() on Importer.pull'),
        task('sync', [], '@ManagedTask() on Exporter.push'),
      ],
      'The name "sync" is used twice: by @ManagedTask() on Importer.pull and by @ManagedTask() on Exporter.push; names of tasks and hooks must be unique',
    ],
    [
      'a task and a hook with one name',
      [
        task('db', [], '@ManagedTask() on Pool.keepAlive'),
        hook('db', [], '@OnShutdown() on Pool.close'),
      ],
      'The name "db" is used twice: by @ManagedTask() on Pool.keepAlive and by @OnShutdown() on Pool.close; names of tasks and hooks must be unique',
    ],
    [
      'a call task and a bootstrap task with one name',
      [
        call('sync', [], '@ManagedTask() on Jobs.run'),
        task('sync', [], '@ManagedTask() on Jobs.loop'),
      ],
      'The name "sync" is used twice: by @ManagedTask() on Jobs.run and by @ManagedTask() on Jobs.loop; names of tasks and hooks must be unique',
    ],
    [
      "a task named like a call of a start: 'call' task",
      [
        call('Jobs.process', [], '@ManagedTask() on Jobs.process'),
        task('Jobs.process#1', [], '@ManagedTask() on Jobs.first'),
      ],
      '@ManagedTask() on Jobs.first: the name "Jobs.process#1" is the name of a call of @ManagedTask() on Jobs.process; choose another name',
    ],
    [
      "a hook named like a call of a start: 'call' task",
      [
        hook('sync#12', [], '@OnShutdown() on Sync.close'),
        call('sync', [], '@ManagedTask() on Sync.run'),
      ],
      '@OnShutdown() on Sync.close: the name "sync#12" is the name of a call of @ManagedTask() on Sync.run; choose another name',
    ],
    [
      "a dependency on a start: 'call' task",
      [
        call('Jobs.process'),
        task('Scheduler.tick', ['Jobs.process'], '@ManagedTask() on Scheduler.tick'),
      ],
      `@ManagedTask() on Scheduler.tick: cannot depend on "Jobs.process": it names a start: 'call' method, whose calls come and go`,
    ],
  ])('refuses %s', (_case, declarations, message) => {
    const error = thrownBy(() => planRegistration(declarations, nothingRegistered));
    expect(error).toBeInstanceOf(InvalidLifecycleDeclarationError);
    expect((error as Error).message).toBe(message);
  });

  it('refuses a name the coordinator already has, naming the declaration', () => {
    const error = thrownBy(() =>
      planRegistration([hook('db', [], '@OnShutdown() on Pool.close')], (name) => name === 'db'),
    );
    expect(error).toBeInstanceOf(InvalidLifecycleDeclarationError);
    expect((error as Error).message).toBe(
      '@OnShutdown() on Pool.close: A task or shutdown hook named "db" is already registered; names must be unique among live tasks and hooks',
    );
  });
});

describe('liveDependencies', () => {
  it('keeps the names still registered; undefined when none were declared', () => {
    expect(liveDependencies(['db', 'warmup'], (name) => name === 'db')).toEqual(['db']);
    expect(liveDependencies(['warmup'], () => false)).toEqual([]);
    expect(liveDependencies([], () => true)).toBeUndefined();
  });
});
