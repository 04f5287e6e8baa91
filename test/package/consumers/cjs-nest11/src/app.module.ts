import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { AsyncLifecycleModule } from 'nestjs-async-lifecycle';
import { HealthController } from './health.controller';
import { JobsService } from './jobs.service';

@Module({
  imports: [AsyncLifecycleModule.forRoot({ logger: false }), TerminusModule],
  controllers: [HealthController],
  providers: [JobsService],
})
export class AppModule {}
