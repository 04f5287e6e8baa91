import { Controller, Get } from '@nestjs/common';
import { HealthCheck, HealthCheckService } from '@nestjs/terminus';

/** Terminus alone: `503 shutting_down` during its `gracefulShutdownTimeoutMs` sleep. */
@Controller('health')
export class TerminusReadinessController {
  constructor(private readonly health: HealthCheckService) {}

  @Get('ready')
  @HealthCheck()
  ready() {
    return this.health.check([]);
  }
}
