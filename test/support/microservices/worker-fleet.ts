import { fork, type ChildProcess } from 'node:child_process';
import { built } from '../child-process.js';

/** A seeded generator (mulberry32): the same seed gives the same run. */
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

/** The seed of this run: `SEED` when given (to replay a run), else a fresh one. */
export function runSeed(): number {
  const given = process.env.SEED;
  return given === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(given);
}

/** What every worker of a run printed about the messages, counted per message id. */
export class MessageLedger {
  readonly starts = new Map<number, number>();
  readonly done = new Map<number, number>();
  readonly aborts = new Map<number, number>();
  /** Ids delivered again by the broker (`redelivered` on a delivery). */
  readonly redelivered = new Set<number>();
  private readonly waiters: { count: number; resolve: () => void }[] = [];

  constructor(readonly total: number) {}

  record(line: string): void {
    const [kind, id, flag] = line.split(' ');
    const n = Number(id);
    if (kind === 'START') {
      bump(this.starts, n);
      if (flag === 'redelivered') this.redelivered.add(n);
    } else if (kind === 'DONE') {
      bump(this.done, n);
      for (let i = this.waiters.length - 1; i >= 0; i--) {
        if (this.done.size >= this.waiters[i].count) {
          this.waiters[i].resolve();
          this.waiters.splice(i, 1);
        }
      }
    } else if (kind === 'ABORT') {
      bump(this.aborts, n);
    }
  }

  /** Resolves once `count` distinct messages have completed. */
  completed(count = this.total): Promise<void> {
    if (this.done.size >= count) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ count, resolve }));
  }

  /** Ids never completed. */
  lost(): number[] {
    const lost: number[] = [];
    for (let id = 1; id <= this.total; id++) if (!this.done.has(id)) lost.push(id);
    return lost;
  }

  /** Ids completed more than once. */
  duplicates(): number[] {
    return [...this.done].filter(([, count]) => count > 1).map(([id]) => id);
  }
}

function bump(counts: Map<number, number>, id: number): void {
  counts.set(id, (counts.get(id) ?? 0) + 1);
}

/** One worker process: its lines, in order, and how it exited. */
export class WorkerProcess {
  readonly lines: string[] = [];
  stderr = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  readonly ready: Promise<void>;
  private starts = 0;
  private readonly startWaiters: { count: number; resolve: () => void }[] = [];

  constructor(
    readonly child: ChildProcess,
    ledger: MessageLedger,
  ) {
    let markReady!: () => void;
    this.ready = new Promise((resolve) => (markReady = resolve));
    let buffered = '';
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      buffered += chunk;
      let newline = buffered.indexOf('\n');
      while (newline >= 0) {
        const text = buffered.slice(0, newline);
        buffered = buffered.slice(newline + 1);
        newline = buffered.indexOf('\n');
        this.lines.push(text);
        if (text === 'READY') markReady();
        ledger.record(text);
        if (text.startsWith('START ')) this.started();
      }
    });
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (this.stderr += chunk));
    this.exited = new Promise((resolve) =>
      child.once('exit', (code, signal) => resolve({ code, signal })),
    );
  }

  /** Resolves once this worker has started its `count`-th message. */
  startedMessages(count: number): Promise<void> {
    if (this.starts >= count) return Promise.resolve();
    return new Promise((resolve) => this.startWaiters.push({ count, resolve }));
  }

  /** The report the worker printed as it exited. */
  report<T>(): T | undefined {
    const line = this.lines.find((l) => l.startsWith('REPORT '));
    return line === undefined ? undefined : (JSON.parse(line.slice('REPORT '.length)) as T);
  }

  /** Everything it wrote, for a failure message. */
  output(): string {
    return `${this.lines.join('\n')}\n${this.stderr}`;
  }

  /** Kills it if still alive, and waits: every test closes what it opens. */
  async close(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
    await this.exited;
  }

  private started(): void {
    this.starts++;
    for (let i = this.startWaiters.length - 1; i >= 0; i--) {
      if (this.starts >= this.startWaiters[i].count) {
        this.startWaiters[i].resolve();
        this.startWaiters.splice(i, 1);
      }
    }
  }
}

/**
 * The worker processes of one run, one after the other. `generation` counts the workers that
 * became ready; a producer whose message could not be delivered waits for the next one.
 */
export class WorkerFleet {
  readonly workers: WorkerProcess[] = [];
  private generation = 0;
  private readonly generationWaiters: { after: number; resolve: () => void }[] = [];

  constructor(
    private readonly env: Record<string, string>,
    readonly ledger: MessageLedger,
  ) {}

  /** Starts a worker and resolves once it printed READY. */
  async start(): Promise<WorkerProcess> {
    const child = fork(built('test/process/fixtures/microservice-worker.js'), [], {
      execArgv: ['--unhandled-rejections=strict'],
      env: { ...process.env, NODE_OPTIONS: '', NO_COLOR: '1', ...this.env },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    const worker = new WorkerProcess(child, this.ledger);
    this.workers.push(worker);
    await Promise.race([
      worker.ready,
      worker.exited.then(() => {
        throw new Error(`the worker exited before READY:\n${worker.output()}`);
      }),
    ]);
    this.generation++;
    for (let i = this.generationWaiters.length - 1; i >= 0; i--) {
      if (this.generation > this.generationWaiters[i].after) {
        this.generationWaiters[i].resolve();
        this.generationWaiters.splice(i, 1);
      }
    }
    return worker;
  }

  /** The number of workers that became ready so far. */
  get current(): number {
    return this.generation;
  }

  /** Resolves once a worker after generation `after` is ready. */
  next(after: number): Promise<void> {
    if (this.generation > after) return Promise.resolve();
    return new Promise((resolve) => this.generationWaiters.push({ after, resolve }));
  }

  async closeAll(): Promise<void> {
    for (const worker of this.workers) await worker.close();
  }
}
