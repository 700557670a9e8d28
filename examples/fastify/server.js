'use strict';
// PRIMARY_URL=... REPLICA_URL=... PORT=3000 node examples/fastify/server.js
// (`node test/harness/servers.js start` prints such URLs for throwaway local servers.)
const { createApp } = require('./app');

createApp({ primaryUrl: process.env.PRIMARY_URL, replicaUrl: process.env.REPLICA_URL })
  .listen(Number(process.env.PORT || 3000))
  .then(({ port, close }) => {
    console.log(`listening on http://127.0.0.1:${port}`);
    for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => close()); // disconnects, then exits
  }, (err) => {
    console.error(err);
    process.exit(1);
  });
