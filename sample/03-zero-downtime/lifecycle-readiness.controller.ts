import { Controller, Get } from '@nestjs/common';
import { HealthCheck, HealthCheckService } from '@nestjs/terminus';
import { LifecycleHealthIndicator } from 'nestjs-async-lifecycle';

/** Readiness that goes down at the first instant of shutdown (what a load balancer checks). */
@Controller('health')
export class LifecycleReadinessController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly lifecycle: LifecycleHealthIndicator,
  ) {}

  @Get('ready')
  @HealthCheck()
  ready() {
    return this.health.check([() => this.lifecycle.isReady('lifecycle')]);
  }
}
