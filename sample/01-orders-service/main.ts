/**
 * An orders service: a consumer loop, orders processed as managed calls, a lock released by a
 * @CancellationSafe cleanup, a CRITICAL db pool closed last, a slow export. SIGTERM or Ctrl+C
 * runs the phased shutdown; `npm run demo` starts it and signals it after a moment.
 *
 * Environment: PORT (default 3000), LIFECYCLE_OPTIONS (JSON merged into the module options),
 * DEMO_SIGTERM_AFTER_MS (send ourselves SIGTERM), PRINT_REPORT=1 | pretty (print the JSON
 * report at exit), STUBBORN=1 (add a job that ignores its signal), EXPORT_STOP_MS,
 * SHUTDOWN_HOOKS=nest (use Nest's enableShutdownHooks() instead of enableLifecycleShutdown).
 */
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { LifecycleCoordinator, enableLifecycleShutdown } from 'nestjs-async-lifecycle';
import type { AddressInfo, Server } from 'node:net';
import { AppModule } from './app.module.js';

async function main(): Promise<void> {
  const app = await NestFactory.create(AppModule);
  // SHUTDOWN_HOOKS=nest: Nest's own signal handling; the module still runs the phased shutdown.
  if (process.env.SHUTDOWN_HOOKS === 'nest') app.enableShutdownHooks();
  else enableLifecycleShutdown(app);
  await app.listen(Number(process.env.PORT ?? 3000), '127.0.0.1');
  const { port } = (app.getHttpServer() as Server).address() as AddressInfo;
  console.log(`READY http://127.0.0.1:${port} (pid ${process.pid}); Ctrl+C to shut down`);

  const print = process.env.PRINT_REPORT;
  if (print === '1' || print === 'pretty') {
    const coordinator = app.get(LifecycleCoordinator);
    process.once('exit', (code) => {
      const report = coordinator.getReport();
      console.log(
        `REPORT ${print === 'pretty' ? JSON.stringify(report, null, 2) : JSON.stringify(report)}`,
      );
      console.log(`EXIT ${code}`);
    });
  }
  const after = Number(process.env.DEMO_SIGTERM_AFTER_MS);
  if (after > 0) setTimeout(() => process.kill(process.pid, 'SIGTERM'), after);
}

void main();
