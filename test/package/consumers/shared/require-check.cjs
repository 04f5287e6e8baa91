// Plain Node, no TypeScript and no Jest: require() the package from a CommonJS file, boot an
// application context, run a task, close, print the report.
require('reflect-metadata');
const { once } = require('node:events');
const { Module } = require('@nestjs/common');
const { NestFactory } = require('@nestjs/core');
const { AsyncLifecycleModule, LifecycleCoordinator } = require('nestjs-async-lifecycle');

class AppModule {}
Module({ imports: [AsyncLifecycleModule.forRoot({ logger: false })] })(AppModule);

async function main() {
  const app = await NestFactory.createApplicationContext(AppModule, { logger: false });
  const coordinator = app.get(LifecycleCoordinator);
  let started;
  const running = new Promise((resolve) => (started = resolve));
  const task = coordinator.createTask(
    async ({ signal }) => {
      started();
      await once(signal, 'abort');
      return 'stopped';
    },
    { name: 'required' },
  );
  await running;
  await app.close();
  console.log(`RESOLVED ${require.resolve('nestjs-async-lifecycle')}`);
  console.log(`TASK ${await task}`);
  console.log(`REPORT ${JSON.stringify(coordinator.getReport())}`);
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
