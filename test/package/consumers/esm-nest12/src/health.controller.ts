import { Controller, Get } from '@nestjs/common';
import { LifecycleHealthIndicator } from 'nestjs-async-lifecycle';

/** Readiness without @nestjs/terminus: the indicator's result is plain data. */
@Controller('health')
export class HealthController {
  constructor(private readonly lifecycle: LifecycleHealthIndicator) {}

  @Get()
  check() {
    return this.lifecycle.isReady();
  }
}
