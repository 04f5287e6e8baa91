import { Controller, Get } from '@nestjs/common';

/** The readiness route of an app with no shutdown awareness: up for as long as it answers. */
@Controller('health')
export class PlainReadinessController {
  @Get('ready')
  ready(): { status: 'ok' } {
    return { status: 'ok' };
  }
}
