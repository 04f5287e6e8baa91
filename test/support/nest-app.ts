import type { INestApplication, INestApplicationContext } from '@nestjs/common';

/** Apps a test opened, closed in afterEach whatever happened: every test closes what it opens. */
export class OpenApps {
  private readonly apps = new Set<INestApplicationContext>();

  track<T extends INestApplicationContext | INestApplication>(app: T): T {
    this.apps.add(app);
    return app;
  }

  async closeAll(): Promise<void> {
    const apps = [...this.apps];
    this.apps.clear();
    for (const app of apps) await app.close().catch(() => undefined);
  }
}
