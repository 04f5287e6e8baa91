import {
  ConnectedSocket,
  MessageBody,
  SubscribeMessage,
  WebSocketGateway,
  type OnGatewayConnection,
  type OnGatewayDisconnect,
} from '@nestjs/websockets';
import { abortableDelay, currentTask } from 'nestjs-async-lifecycle';
import { ChatRoom } from './chat-room.service.js';

/** How long reading the history takes: long enough to be in flight when SIGTERM comes. */
const HISTORY_MS = Number(process.env.HISTORY_MS ?? 300);

/**
 * The chat, over `ws` or socket.io (same gateway). No shutdown code: with
 * `AsyncLifecycleModule.forRoot()`, each message below runs as a managed task, and at SIGTERM
 * every client is served through the drain, then sent its close frame (1001) in its turn, once
 * the replies it has in flight have left.
 */
@WebSocketGateway()
export class ChatGateway implements OnGatewayConnection, OnGatewayDisconnect {
  constructor(private readonly room: ChatRoom) {}

  handleConnection(client: object): void {
    this.room.join(client);
  }

  handleDisconnect(client: object): void {
    this.room.leave(client);
  }

  /** `{ event: 'say', data: 'hello' }`: broadcast to the others, acknowledged to the sender. */
  @SubscribeMessage('say')
  say(@ConnectedSocket() client: object, @MessageBody() text: string) {
    return { event: 'said', data: this.room.post(client, String(text)) };
  }

  /** `{ event: 'history', data: 20 }`: the last lines, after a slow read. */
  @SubscribeMessage('history')
  async history(@MessageBody() limit: number) {
    // Follows its task's signal: it would stop only at FORCEFUL, never during GRACEFUL.
    await abortableDelay(HISTORY_MS, currentTask()?.signal);
    return { event: 'history', data: this.room.last(Number(limit) || 20) };
  }
}
