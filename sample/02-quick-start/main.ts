import 'reflect-metadata';
import { Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import {
  AsyncLifecycleModule,
  CancellationSafe,
  ManagedTask,
  TaskPriority,
  abortableDelay,
  currentTask,
  enableLifecycleShutdown,
  type TaskContext,
} from 'nestjs-async-lifecycle';

@Injectable()
class JobRunner {
  private readonly locks = new Set<number>();

  // Started at bootstrap as a managed task; its signal aborts when it is its turn to stop.
  @ManagedTask({ priority: TaskPriority.HIGH, cleanup: 'stopped' })
  async run({ signal }: TaskContext) {
    for (let job = 1; !signal.aborted; job++) {
      await this.process(job).catch(() => undefined);
    }
  }

  // Cancelled mid-way, `unlock` still runs: once, shielded, with its own deadline.
  @CancellationSafe('unlock')
  async process(job: number) {
    this.locks.add(job);
    await abortableDelay(500, currentTask()?.signal); // the work
    this.locks.delete(job);
  }

  unlock(job: number) {
    this.locks.delete(job);
    console.log(`job ${job} cancelled: lock released`);
  }

  stopped() {
    console.log(`runner stopped with ${this.locks.size} lock(s) held`);
  }
}

@Module({ imports: [AsyncLifecycleModule.forRoot()], providers: [JobRunner] })
class AppModule {}

async function bootstrap() {
  const app = await NestFactory.create(AppModule);
  enableLifecycleShutdown(app); // instead of app.enableShutdownHooks()
  await app.listen(Number(process.env.PORT ?? 3000));
  console.log('Listening. Press Ctrl+C to see the phased shutdown.');
}
void bootstrap();
