import { Injectable } from '@nestjs/common';

/** A chat line as clients receive it. */
export interface ChatLine {
  from: string;
  text: string;
  at: string;
}

/** A connected client: a `ws` WebSocket or a socket.io Socket, whichever the app runs on. */
type ChatClient = object;

/**
 * The room everyone is in: who is connected, the last lines, and a broadcast that works the
 * same over `ws` and socket.io.
 */
@Injectable()
export class ChatRoom {
  private readonly members = new Map<ChatClient, string>();
  private readonly lines: ChatLine[] = [];
  private seq = 0;

  join(client: ChatClient): string {
    const name = `guest-${++this.seq}`;
    this.members.set(client, name);
    return name;
  }

  leave(client: ChatClient): void {
    this.members.delete(client);
  }

  /** Records a line from `client` and sends it to everyone else; returns it. */
  post(client: ChatClient, text: string): ChatLine {
    const line = {
      from: this.members.get(client) ?? 'unknown',
      text,
      at: new Date().toISOString(),
    };
    this.lines.push(line);
    if (this.lines.length > 100) this.lines.shift();
    for (const member of this.members.keys()) {
      if (member !== client) send(member, 'message', line);
    }
    return line;
  }

  last(limit: number): ChatLine[] {
    return this.lines.slice(-limit);
  }
}

/** A socket.io Socket (it has a namespace) emits; a `ws` WebSocket takes WsAdapter's JSON. */
function send(client: ChatClient, event: string, data: unknown): void {
  if ('nsp' in client) {
    (client as unknown as { emit(event: string, data: unknown): void }).emit(event, data);
    return;
  }
  const socket = client as { readyState?: number; send?: (text: string) => void };
  if (socket.readyState === 1) socket.send?.(JSON.stringify({ event, data }));
}
