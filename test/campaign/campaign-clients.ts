import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import WebSocket from 'ws';
import type { ClientKind, ClientSpec } from './scenario.js';

/** Where the clients connect. */
export interface CampaignTarget {
  port: number;
  /** The test certificate when the app serves HTTPS (trusted as the CA). */
  ca?: Buffer;
}

/** One complete response read off a connection (interim 1xx responses skipped). */
export interface ParsedResponse {
  status: number;
  body: string;
}

/** What one client saw, for the invariants. */
export interface ClientOutcome {
  kind: ClientKind;
  /** The ids of the requests it sent (or began sending), in order. */
  requestIds: string[];
  /** Complete responses, in order. */
  responses: ParsedResponse[];
  /** Bytes of a response that never completed (a response cut in the middle). */
  partialBytes: number;
  /** How the connection ended: `end` (a FIN), or an error code (`ECONNRESET`, `ECONNREFUSED` …). */
  ended: string;
  /** WebSocket clients: the close code (1006 = no close frame: the connection was cut). */
  closeCode?: number;
  /** The request(s) whose every byte went out before the first signal. */
  sentBeforeSignal: boolean;
}

/**
 * A client of the campaign. `begin()` sends what goes before the signal and resolves once that
 * is in the server's hands; `late()` sends what goes once GRACEFUL began; `done` resolves when
 * the connection ended.
 */
export interface CampaignClient {
  begin(): Promise<void>;
  late(): void;
  readonly done: Promise<ClientOutcome>;
  destroy(): void;
}

/** Reads every complete HTTP/1.x response in `data`; what is left is an incomplete one. */
export function parseResponses(data: string): { responses: ParsedResponse[]; rest: number } {
  const responses: ParsedResponse[] = [];
  let offset = 0;
  for (;;) {
    const headEnd = data.indexOf('\r\n\r\n', offset);
    if (headEnd < 0) break;
    const head = data.slice(offset, headEnd);
    const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1] ?? 0);
    const length = /\r\ncontent-length: *(\d+)/i.exec(head);
    if (status >= 100 && status < 200) {
      offset = headEnd + 4;
      continue;
    }
    if (length === null) {
      // Only this app's own answers are parsed: every one has a Content-Length.
      break;
    }
    const bodyEnd = headEnd + 4 + Number(length[1]);
    if (bodyEnd > data.length) break;
    responses.push({ status, body: data.slice(headEnd + 4, bodyEnd) });
    offset = bodyEnd;
  }
  return { responses, rest: data.length - offset };
}

function get(id: string, ms: number, version = '1.1', extra = ''): string {
  return `GET /work?id=${id}&ms=${ms} HTTP/${version}\r\nHost: localhost\r\n${extra}\r\n`;
}

/** A raw HTTP/1.x connection (plain or TLS) that sends its parts and records every byte back. */
class RawClient implements CampaignClient {
  readonly done: Promise<ClientOutcome>;
  private socket: Socket | undefined;
  private data = '';
  private ended = 'end';
  private sentBeforeSignal = false;
  private readonly requestIds: string[] = [];
  private readonly dataWaiters: { text: string; resolve: () => void }[] = [];
  private resolveDone!: (outcome: ClientOutcome) => void;

  constructor(
    private readonly target: CampaignTarget,
    private readonly spec: ClientSpec,
    private readonly id: string,
    /** Before the signal: resolves once the server has what it needs (or what we sent went out). */
    private readonly first: (client: RawClient) => Promise<void>,
    /** Once GRACEFUL began. */
    private readonly second?: (client: RawClient) => void,
  ) {
    this.done = new Promise((resolve) => (this.resolveDone = resolve));
  }

  get workMs(): number {
    return this.spec.workMs;
  }

  /** A fresh request id for this client (`<client>-<n>`). */
  nextId(): string {
    const id = `${this.id}-${this.requestIds.length}`;
    this.requestIds.push(id);
    return id;
  }

  markSentBeforeSignal(): void {
    this.sentBeforeSignal = true;
  }

  async begin(): Promise<void> {
    await this.first(this);
  }

  late(): void {
    this.second?.(this);
  }

  /** Connects (once), resolving when the connection is usable; a refusal ends the client. */
  connect(): Promise<boolean> {
    return new Promise((resolve) => {
      const { port, ca } = this.target;
      const socket =
        ca === undefined
          ? netConnect({ port, host: '127.0.0.1' }, () => resolve(true))
          : tlsConnect({ port, host: '127.0.0.1', ca, servername: 'localhost' }, () =>
              resolve(true),
            );
      this.socket = socket;
      socket.setEncoding('utf8');
      socket.on('data', (chunk: string) => {
        this.data += chunk;
        for (let i = this.dataWaiters.length - 1; i >= 0; i--) {
          if (this.data.includes(this.dataWaiters[i].text)) {
            this.dataWaiters[i].resolve();
            this.dataWaiters.splice(i, 1);
          }
        }
      });
      socket.on('error', (error: NodeJS.ErrnoException) => (this.ended = error.code ?? 'error'));
      socket.on('close', () => {
        resolve(false);
        for (const waiter of this.dataWaiters.splice(0)) waiter.resolve();
        const { responses, rest } = parseResponses(this.data);
        this.resolveDone({
          kind: this.spec.kind,
          requestIds: this.requestIds,
          responses,
          partialBytes: rest,
          ended: this.ended,
          sentBeforeSignal: this.sentBeforeSignal,
        });
      });
    });
  }

  write(text: string): Promise<void> {
    return new Promise((resolve) => {
      const socket = this.socket;
      if (socket === undefined || socket.destroyed || !socket.writable) return resolve();
      // A write to a connection the server already closed fails with EPIPE: that is an outcome
      // (`ended`), recorded by the error listener, not a crash of the campaign.
      socket.write(text, () => resolve());
    });
  }

  /** Resolves once `text` was received (or the connection closed). */
  received(text: string): Promise<void> {
    if (this.data.includes(text) || this.socket?.destroyed === true) return Promise.resolve();
    return new Promise((resolve) => this.dataWaiters.push({ text, resolve }));
  }

  destroy(): void {
    this.socket?.destroy();
  }
}

/** A WebSocket client: opened and echoed before the signal; its close code tells how it ended. */
class WsClient implements CampaignClient {
  readonly done: Promise<ClientOutcome>;
  private socket: WebSocket | undefined;
  private opened!: () => void;
  private readonly open = new Promise<void>((resolve) => (this.opened = resolve));

  constructor(target: CampaignTarget, spec: ClientSpec) {
    const scheme = target.ca === undefined ? 'ws' : 'wss';
    this.done = new Promise((resolve) => {
      let ended = 'end';
      const socket = new WebSocket(`${scheme}://localhost:${target.port}/`, {
        ca: target.ca,
      });
      this.socket = socket;
      socket.on('open', () => socket.send('ping'));
      socket.on('message', () => this.opened());
      socket.on('error', (error: NodeJS.ErrnoException) => (ended = error.code ?? 'error'));
      socket.on('close', (code) => {
        this.opened();
        resolve({
          kind: spec.kind,
          requestIds: [],
          responses: [],
          partialBytes: 0,
          ended,
          closeCode: code,
          sentBeforeSignal: true,
        });
      });
    });
  }

  begin(): Promise<void> {
    return this.open;
  }

  late(): void {}

  destroy(): void {
    this.socket?.terminate();
  }
}

/**
 * The clients of a scenario. `accepted(id)` resolves when the child printed `ACCEPTED <id>`: a
 * client in flight at the signal has its request in a handler, not in a socket buffer.
 */
export function createClient(
  target: CampaignTarget,
  spec: ClientSpec,
  id: string,
  accepted: (requestId: string) => Promise<void>,
): CampaignClient {
  const ms = spec.workMs;
  switch (spec.kind) {
    case 'keep-alive':
      return new RawClient(
        target,
        spec,
        id,
        async (client) => {
          if (!(await client.connect())) return;
          const first = client.nextId();
          await client.write(get(first, ms));
          client.markSentBeforeSignal();
          await accepted(first);
        },
        (client) => {
          // The next request on the same connection: once the first response came back.
          void client.received(`done ${id}-0`).then(() => client.write(get(client.nextId(), ms)));
        },
      );
    case 'pipelined':
      return new RawClient(target, spec, id, async (client) => {
        if (!(await client.connect())) return;
        const ids = [client.nextId(), client.nextId(), client.nextId()];
        await client.write(ids.map((request) => get(request, ms)).join(''));
        client.markSentBeforeSignal();
        await accepted(ids[0]);
      });
    case 'half-sent': {
      let request = '';
      return new RawClient(
        target,
        spec,
        id,
        async (client) => {
          if (!(await client.connect())) return;
          request = get(client.nextId(), ms);
          await client.write(request.slice(0, 20));
        },
        (client) => void client.write(request.slice(20)),
      );
    }
    case 'slow-upload': {
      const body = JSON.stringify({ items: Array.from({ length: 50 }, (_, i) => i) });
      return new RawClient(
        target,
        spec,
        id,
        async (client) => {
          if (!(await client.connect())) return;
          const head =
            `POST /upload?id=${client.nextId()}&ms=${ms} HTTP/1.1\r\nHost: localhost\r\n` +
            `Content-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`;
          await client.write(head + body.slice(0, 10));
        },
        (client) => void client.write(body.slice(10)),
      );
    }
    case 'http10':
      return new RawClient(
        target,
        spec,
        id,
        () => Promise.resolve(),
        (client) =>
          void client.connect().then((connected) => {
            if (connected) return client.write(get(client.nextId(), ms, '1.0'));
          }),
      );
    case 'expect-continue': {
      const body = JSON.stringify({ continued: true });
      return new RawClient(target, spec, id, async (client) => {
        if (!(await client.connect())) return;
        const request = client.nextId();
        await client.write(
          `POST /upload?id=${request}&ms=${ms} HTTP/1.1\r\nHost: localhost\r\n` +
            `Content-Type: application/json\r\nContent-Length: ${body.length}\r\n` +
            `Expect: 100-continue\r\n\r\n`,
        );
        await client.received('HTTP/1.1 100');
        await client.write(body);
        client.markSentBeforeSignal();
        await accepted(request);
      });
    }
    case 'upgrade':
      return new WsClient(target, spec);
  }
}
