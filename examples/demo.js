'use strict';
// A scripted failover with in-process stand-in clients: a primary that goes down
// and comes back, a replica that keeps answering. Prints each event as it happens,
// with its offset from the start, then a summary.
const { Orchestrator } = require('..');

function fakeServer(name) {
  const server = { name, up: true, served: 0 };
  server.client = {
    async query(sql) {
      if (!server.up) throw Object.assign(new Error(`connect ECONNREFUSED (${name})`), { code: 'ECONNREFUSED' });
      server.served++;
      return { rows: [{ server: name, sql }] };
    },
  };
  return server;
}

async function main() {
  const primary = fakeServer('primary');
  const replica = fakeServer('replica');
  const db = new Orchestrator({
    connections: { primary: primary.client, replica: replica.client },
    failover: { primary: 'replica' },
    healthCheck: {
      interval: '100ms',
      timeout: '50ms',
      checks: {
        primary: async (c) => { await c.query('SELECT 1'); return true; },
        replica: async (c) => { await c.query('SELECT 1'); return true; },
      },
    },
    circuitBreaker: { threshold: 3, resetTimeout: '300ms' },
  });

  const t0 = Date.now();
  const log = (what, detail) => console.log(`+${String(Date.now() - t0).padStart(5)}ms  ${what.padEnd(18)} ${detail}`);
  for (const event of ['health:changed', 'circuit:open', 'circuit:half-open', 'circuit:close', 'failover', 'recovery']) {
    db.on(event, (e) => log(event, JSON.stringify({ ...e, timestamp: undefined })));
  }

  await db.connect();
  log('connected', db.list().join(', '));
  let ok = 0;
  let failed = 0;
  const byServer = {};
  let stop = false;
  const load = (async () => {
    while (!stop) {
      try {
        const r = await db.execute('primary', (c) => c.query('SELECT now()'));
        ok++;
        byServer[r.rows[0].server] = (byServer[r.rows[0].server] || 0) + 1;
      } catch {
        failed++;
      }
      await new Promise((r) => setTimeout(r, 5));
    }
  })();

  await new Promise((r) => setTimeout(r, 300));
  log('chaos', 'primary goes down');
  primary.up = false;
  await new Promise((resolve) => db.once('failover', resolve));
  await new Promise((r) => setTimeout(r, 400));
  log('chaos', 'primary comes back');
  primary.up = true;
  await new Promise((resolve) => db.once('recovery', resolve));
  await new Promise((r) => setTimeout(r, 200));
  stop = true;
  await load;
  await db.disconnect();

  console.log('\nsummary');
  console.table({ requests: { served: ok, failed, 'by primary': byServer.primary || 0, 'by replica': byServer.replica || 0 } });
  console.log('final stats', db.getStats());
}

main().catch((err) => { console.error(err); process.exit(1); });
