import {
  DependencyCycleError,
  DuplicateTaskNameError,
  UnknownDependencyError,
} from './task-dependency.error.js';
import type { CallCounter } from './call-task-template.js';
import type { DependencyNode } from './dependency-node.interface.js';
import type { HookRecord } from './hook-record.js';
import type { TaskRecord } from './task-record.js';

const GENERATED_NAME = /^task#(\d+)$/;
/**
 * Where the `#<n>` of a name of the calls' form `<name>#<n>` begins, or -1. By hand rather than
 * a RegExp: every named task (each HTTP request is one) is tested when it comes and goes.
 */
function numberAt(name: string): number {
  const hash = name.lastIndexOf('#');
  if (hash <= 0 || hash === name.length - 1) return -1;
  for (let i = hash + 1; i < name.length; i++) {
    const code = name.charCodeAt(i);
    if (code < 48 || code > 57) return -1;
  }
  return hash;
}

/**
 * Live tasks (in creation order) and registered hooks, with one name space for both so that
 * `dependsOn` can name either. Ended tasks leave at once: memory does not grow with history.
 * Live tasks form an intrusive doubly-linked list — O(1) to add and remove with no per-task
 * allocation, on the hottest path of the library.
 */
export class TaskRegistry {
  private head: TaskRecord | undefined;
  private tail: TaskRecord | undefined;
  private readonly named = new Map<string, DependencyNode>();
  /**
   * Tasks whose generated name `task#<seq>` was handed out, by sequence number: a number key
   * costs no string to build and hash when the task leaves, as most do.
   */
  private readonly generated = new Map<number, TaskRecord>();
  /**
   * The numbering of each call-task name (`start: 'call'`), shared by every template of that
   * name, so calls are unique by construction and never indexed: a call costs no name to hash
   * and no Map entry to add and delete.
   */
  private readonly callCounters = new Map<string, CallCounter>();
  /** Entries of `named` of the form `<name>#<n>`: while none, no call's name can be taken. */
  private numberedNames = 0;
  private readonly hookList: HookRecord[] = [];

  /** The oldest live task; the others follow through `next` (no iterator on hot paths). */
  get first(): TaskRecord | undefined {
    return this.head;
  }

  *tasks(): IterableIterator<TaskRecord> {
    for (let record = this.head; record !== undefined; record = record.next) yield record;
  }

  hooks(): readonly HookRecord[] {
    return this.hookList;
  }

  /** Throws when `name` is taken or has the reserved generated form. */
  assertNameFree(name: string): void {
    if (GENERATED_NAME.test(name)) throw new DuplicateTaskNameError(name, true);
    if (this.isTaken(name)) throw new DuplicateTaskNameError(name);
  }

  /** Whether a new task could claim `name` (`assertNameFree` would not throw). */
  isNameFree(name: string): boolean {
    return !GENERATED_NAME.test(name) && !this.isTaken(name);
  }

  /**
   * Throws when a task or hook holds the name of a call (`<name>#<n>`, unique among calls by
   * construction); free of any lookup while no name of that form is registered.
   */
  assertCallNameFree(name: string): void {
    if (this.numberedNames > 0 && this.named.has(name)) throw new DuplicateTaskNameError(name);
  }

  /** The numbering of the calls named `<name>#<n>`, made on the first call of that name. */
  callCounter(name: string): CallCounter {
    let counter = this.callCounters.get(name);
    if (counter === undefined) this.callCounters.set(name, (counter = { calls: 0 }));
    return counter;
  }

  /**
   * The live nodes among `names`, skipping those not registered (a call template's
   * dependencies that have ended); `undefined` when none is.
   */
  resolveLive(names: readonly string[]): DependencyNode[] | undefined {
    let nodes: DependencyNode[] | undefined;
    for (const name of names) {
      const node = this.lookup(name);
      if (node !== undefined) (nodes ??= []).push(node);
    }
    return nodes;
  }

  /** Resolves `dependsOn` names to live nodes now; a task binds to what exists at creation. */
  resolve(owner: string, names: Iterable<string> | undefined): DependencyNode[] | undefined {
    if (names === undefined) return undefined;
    let nodes: DependencyNode[] | undefined;
    for (const name of names) {
      if (name === owner) throw new DependencyCycleError([owner, owner]);
      const node = this.lookup(name);
      if (node === undefined) throw new UnknownDependencyError(owner, name);
      (nodes ??= []).push(node);
    }
    return nodes;
  }

  lookup(name: string): DependencyNode | undefined {
    const node = this.named.get(name) ?? this.liveCall(name);
    if (node !== undefined) return node;
    const generated = GENERATED_NAME.exec(name);
    if (generated === null) return undefined;
    const seq = Number(generated[1]);
    return this.generated.get(seq) ?? this.findUnnamed(seq);
  }

  add(record: TaskRecord): void {
    record.previous = this.tail;
    if (this.tail === undefined) this.head = record;
    else this.tail.next = record;
    this.tail = record;
    const name = record.explicitName;
    if (name !== undefined && !record.unindexed) this.index(name, record);
  }

  remove(record: TaskRecord): void {
    const { previous, next } = record;
    if (previous === undefined) {
      if (this.head !== record) return; // not in the list
      this.head = next;
    } else {
      previous.next = next;
    }
    if (next === undefined) this.tail = previous;
    else next.previous = previous;
    record.previous = record.next = undefined;
    const name = record.explicitName;
    if (name !== undefined) {
      if (!record.unindexed && this.named.get(name) === record) {
        this.named.delete(name);
        if (numberAt(name) > 0) this.numberedNames--;
      }
    } else if (record.nameIndexed && this.generated.get(record.seq) === record) {
      this.generated.delete(record.seq);
    }
  }

  /** Makes `task#<seq>` resolvable in O(1) once the name was handed out. */
  indexGeneratedName(record: TaskRecord): void {
    if (record.previous !== undefined || this.head === record) {
      this.generated.set(record.seq, record);
    }
  }

  addHook(hook: HookRecord): void {
    this.hookList.push(hook);
    this.index(hook.name, hook);
  }

  private isTaken(name: string): boolean {
    return this.named.has(name) || this.liveCall(name) !== undefined;
  }

  private index(name: string, node: DependencyNode): void {
    this.named.set(name, node);
    if (numberAt(name) > 0) this.numberedNames++;
  }

  /**
   * The live call named `name`, found by a walk from the newest task: only lookups of a name of
   * the calls' form pay for it, never a call.
   */
  private liveCall(name: string): TaskRecord | undefined {
    if (this.callCounters.size === 0) return undefined;
    const hash = numberAt(name);
    if (hash < 0 || !this.callCounters.has(name.slice(0, hash))) return undefined;
    for (let record = this.tail; record !== undefined; record = record.previous) {
      if (record.unindexed && record.explicitName === name) return record;
    }
    return undefined;
  }

  /**
   * The live unnamed task `task#<seq>` whose name was never handed out (a guess): sequence
   * numbers grow along the list, so the walk starts from the nearer end and stops early.
   */
  private findUnnamed(seq: number): TaskRecord | undefined {
    const head = this.head;
    const tail = this.tail;
    if (head === undefined || tail === undefined || seq < head.seq || seq > tail.seq) {
      return undefined;
    }
    let record: TaskRecord | undefined;
    if (seq - head.seq < tail.seq - seq) {
      for (record = head; record !== undefined && record.seq < seq; record = record.next);
    } else {
      for (record = tail; record !== undefined && record.seq > seq; record = record.previous);
    }
    return record?.seq === seq && record.explicitName === undefined ? record : undefined;
  }
}
