import { describe, expect, it } from '@jest/globals';
import { LifecycleCoordinator } from '../../../lib/core/lifecycle-coordinator.js';
import {
  checkNotReserved,
  hasReservedCallNames,
  isClassMethod,
} from '../../../lib/discovery/declaration-checks.js';

// declaration-checks.ts keeps its own copy of the form the coordinator reserves (the registry
// that owns it is a core internal): these pin the copy to the coordinator's behaviour.
describe('the reserved generated-name form, as the coordinator applies it', () => {
  const where = '@ManagedTask() on Worker.loop';

  it.each(['task#1', 'task#42'])('%s: refused by the coordinator and at bootstrap', (name) => {
    const coordinator = new LifecycleCoordinator({ logger: false });
    expect(() => coordinator.createTask(() => undefined, { name })).toThrow(/reserved/);
    expect(() => checkNotReserved(where, name)).toThrow(/reserved/);
  });

  it.each(['task', 'task#', 'task#x', 'Task#1', 'my-task#1', 'task#1#1'])(
    '%s: accepted by the coordinator and at bootstrap',
    async (name) => {
      const coordinator = new LifecycleCoordinator({ logger: false });
      await coordinator.createTask(() => undefined, { name });
      expect(() => checkNotReserved(where, name)).not.toThrow();
    },
  );

  it("'task' is the one name whose calls the coordinator refuses", async () => {
    const coordinator = new LifecycleCoordinator({ logger: false });
    expect(() => coordinator.createTask(() => undefined, { name: 'task#1' })).toThrow(/reserved/);
    await coordinator.createTask(() => undefined, { name: 'tasks#1' });
    expect(hasReservedCallNames('task')).toBe(true);
    expect(hasReservedCallNames('tasks')).toBe(false);
    expect(hasReservedCallNames('task#1')).toBe(false);
  });
});

describe('isClassMethod', () => {
  class Base {
    inherited(): void {}
  }
  class Service extends Base {
    readonly field = (): void => {};
    readonly text = 'text';
    own(): void {}
  }
  const service = new Service();

  it.each(['own', 'inherited', 'field'])('%s is a method', (name) => {
    expect(isClassMethod(service, name)).toBe(true);
  });

  it.each(['text', 'missing', 'constructor', 'toString', 'hasOwnProperty', '__proto__'])(
    '%s is not',
    (name) => {
      expect(isClassMethod(service, name)).toBe(false);
    },
  );
});
