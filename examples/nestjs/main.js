'use strict';
// Runs the NestJS example:
//   PRIMARY_URL=... REPLICA_URL=... REDIS_URL=... PORT=3000 node examples/nestjs/main.js
// (`node test/harness/servers.js start` prints such URLs for throwaway local servers.)
require('reflect-metadata');
const { NestFactory } = require('@nestjs/core');
const { AppModule } = require('./app.module');

async function main() {
  const app = await NestFactory.create(AppModule.forRoot({
    primaryUrl: process.env.PRIMARY_URL,
    replicaUrl: process.env.REPLICA_URL,
    redisUrl: process.env.REDIS_URL,
  }));
  app.enableShutdownHooks(); // SIGTERM/SIGINT -> app.close() -> the orchestrator disconnects
  await app.listen(Number(process.env.PORT || 3000));
  console.log(`listening on ${await app.getUrl()}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
