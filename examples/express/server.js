'use strict';
// Runs the example app: `node examples/express/server.js` with PRIMARY_URL,
// REPLICA_URL and REDIS_URL set (or `eval "$(node test/harness/servers.js start)"`).
const { createApp } = require('./app');

const env = (name, fallback) => process.env[name] || fallback;
const { app, db, start } = createApp({
  primaryUrl: env('PRIMARY_URL', process.env.OMNIDB_PG_URL),
  replicaUrl: env('REPLICA_URL', process.env.OMNIDB_PG_REPLICA_URL),
  redisUrl: env('REDIS_URL', process.env.OMNIDB_REDIS_URL),
  interval: env('HEALTH_INTERVAL', '1s'),
});
for (const event of ['failover', 'recovery', 'circuit:open', 'circuit:close', 'health:changed']) {
  db.on(event, (e) => console.log(event, JSON.stringify(e)));
}
db.shutdownOnSignal();
start().then(() => {
  const server = app.listen(Number(env('PORT', 3000)), () => console.log(`listening on ${server.address().port}`));
  db.once('shutdown', () => server.close());
});
