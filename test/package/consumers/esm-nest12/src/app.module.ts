import { Module } from '@nestjs/common';
import { AsyncLifecycleModule } from 'nestjs-async-lifecycle';
import { HealthController } from './health.controller.js';
import { JobsService } from './jobs.service.js';

@Module({
  imports: [AsyncLifecycleModule.forRoot({ logger: false })],
  controllers: [HealthController],
  providers: [JobsService],
})
export class AppModule {}
