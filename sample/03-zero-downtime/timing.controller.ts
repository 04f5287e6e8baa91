import { Controller, Get } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';

/** How long `GET /slow` takes: long enough to be in flight when SIGTERM arrives. */
export const SLOW_REQUEST_MS = 300;

/** Two routes: one that answers at once, one that takes a while. */
@Controller()
export class TimingController {
  @Get('fast')
  fast(): { route: string } {
    return { route: 'fast' };
  }

  @Get('slow')
  async slow(): Promise<{ route: string }> {
    await sleep(SLOW_REQUEST_MS);
    return { route: 'slow' };
  }
}
