import { Module } from '@nestjs/common';
import { AsyncLifecycleModule, type AsyncLifecycleOptions } from 'nestjs-async-lifecycle';
import { ChatRoom } from './chat-room.service.js';
import { ChatGateway } from './chat.gateway.js';
import { SseController } from './sse.controller.js';

const options: AsyncLifecycleOptions = {
  drainDelayMs: 500, // clients are served this long after SIGTERM, before their turns begin
  phases: { gracefulMs: 10_000, forcefulMs: 2_000, terminateMs: 1_000 },
  websockets: { closeWindowMs: 2_000 }, // many clients: their closes spread over 2 s
  ...(JSON.parse(process.env.LIFECYCLE_OPTIONS ?? '{}') as AsyncLifecycleOptions),
};

@Module({
  imports: [AsyncLifecycleModule.forRoot(options)],
  controllers: [SseController],
  providers: [ChatRoom, ChatGateway],
})
export class AppModule {}
