import { Controller, HttpCode, Param, Post } from '@nestjs/common';
import { JobQueue } from './job-queue.js';

/**
 * `POST /jobs/:id` — accepts a job into the queue: `202` once it is queued (or already known:
 * ids are idempotency keys). During the shutdown the HTTP intake refuses new work cleanly
 * (`503` + `Retry-After`, or a refused connection): the producer retries on the next instance.
 *
 * @example
 * // curl -X POST localhost:3000/jobs/order-42  →  202 {"job":"order-42","queued":true}
 */
@Controller('jobs')
export class JobsController {
  constructor(private readonly queue: JobQueue) {}

  @Post(':id')
  @HttpCode(202)
  accept(@Param('id') id: string): { job: string; queued: boolean } {
    return { job: id, queued: this.queue.accept(id) };
  }
}
