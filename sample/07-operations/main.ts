/**
 * What an operator gets after the process is gone, and at boot: a termination log, a report
 * file with the previous run detected when it crashed, the boot-time checks, and the shutdown as
 * an OpenTelemetry span flushed last. Run it (`npm run build` first):
 *
 *   OPS_DIR=/tmp/ops node .build/sample/07-operations/main.js
 *   # another shell: kill -TERM <pid>  → /tmp/ops/termination-log, /tmp/ops/last-shutdown.json
 *   #                kill -KILL <pid>  → the next start warns that the previous run left no report
 *
 * Environment: OPS_DIR (default: the system's temp directory), PORT (default 3000).
 */
import 'reflect-metadata';
import { Controller, Get, Injectable, Module, type OnApplicationBootstrap } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import {
  BasicTracerProvider,
  ConsoleSpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import type { Server } from 'node:http';
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AsyncLifecycleModule,
  LifecycleHealthIndicator,
  ManagedTask,
  PreviousRunDetector,
  TaskPriority,
  enableLifecycleShutdown,
  type TaskContext,
} from 'nestjs-async-lifecycle';

const dir = process.env.OPS_DIR ?? join(tmpdir(), 'nestjs-async-lifecycle-ops');
mkdirSync(dir, { recursive: true });

// Any OpenTelemetry tracer: here the SDK's, printing each span to the console.
const tracing = new BasicTracerProvider({
  spanProcessors: [new SimpleSpanProcessor(new ConsoleSpanExporter())],
});

@Controller('health')
class ReadinessController {
  constructor(private readonly lifecycle: LifecycleHealthIndicator) {}

  // Terminus' HealthCheckService turns `down` into a 503 (see sample 03); the raw result here.
  @Get('ready')
  ready() {
    return this.lifecycle.isReady();
  }
}

@Injectable()
class Poller implements OnApplicationBootstrap {
  constructor(private readonly previousRun: PreviousRunDetector) {}

  onApplicationBootstrap() {
    const lost = this.previousRun.unreportedRun;
    if (lost) console.log(`unclean exit of pid ${lost.pid} counted`);
  }

  @ManagedTask({ priority: TaskPriority.LOW })
  async poll({ signal }: TaskContext) {
    await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
  }
}

@Module({
  imports: [
    AsyncLifecycleModule.forRoot({
      phases: { gracefulMs: 5_000, forcefulMs: 2_000, terminateMs: 1_000 },
      gracePeriodMs: 30_000, // terminationGracePeriodSeconds: 30
      reportFile: join(dir, 'last-shutdown.json'),
      terminationLog: join(dir, 'termination-log'), // default in a pod: /dev/termination-log
      loadBalancer: 'aws-alb', // keepAliveTimeout must be above its 60 s idle timeout
      telemetry: {
        tracer: tracing.getTracer('orders'),
        flush: () => tracing.shutdown(), // last, after every hook: the shutdown's span is exported
      },
    }),
  ],
  controllers: [ReadinessController],
  providers: [Poller],
})
class AppModule {}

async function bootstrap() {
  const app = await NestFactory.create(AppModule);
  enableLifecycleShutdown(app);
  const server = (await app.listen(Number(process.env.PORT ?? 3000))) as Server;
  server.keepAliveTimeout = 65_000; // above the ALB's 60 s: no boot warning
  server.headersTimeout = 66_000;
  console.log(`pid ${process.pid}: files in ${dir}`);
}

void bootstrap();
