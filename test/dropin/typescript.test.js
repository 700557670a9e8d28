'use strict';
// omni-db docs/typescript.md: the page is about types, checked by tsd in
// test/types/dropin.test-d.ts. Here: the run-time behaviour of its examples.
//
// Examples of the page not turned into a run-time test here, and why:
// - "Basic Usage", "Generic Configuration", "Type Definitions", "Type-Safe Events",
//   "Typed Health Checks", "Typed health() Response": type-level (inference, compile
//   errors), in test/types/dropin.test-d.ts. Their run-time side (get() returns the
//   client, listeners receive payloads, checks receive clients) is tested by the other
//   pages' files.
// - `npm install omni-db`: a shell command.

const { Orchestrator, parseDuration } = require('../..');
const { fakePrisma, fakeRedis, trackOrchestrators } = require('./fakes');

const track = trackOrchestrators();

describe('Utility Function', () => {
  test("parseDuration('30s') returns 30000", () => {
    const ms = parseDuration('30s');
    expect(ms).toBe(30000);
  });
});

describe('Complete Example', () => {
  test('createDatabase() resolves with a connected orchestrator whose failover listener logs the switch', async () => {
    const lines = [];
    const clients = { primary: fakePrisma('primary'), replica: fakePrisma('replica'), cache: fakeRedis('cache') };
    clients.primary.down = true;
    async function createDatabase() {
      const db = track(new Orchestrator({
        connections: clients,
        failover: {
          primary: 'replica',
        },
        healthCheck: {
          interval: '30s',
          timeout: '5s',
          checks: {
            primary: async (client) => {
              await client.$connect();
              return true;
            },
            replica: async (client) => {
              await client.$connect();
              return true;
            },
            cache: async (client) => (await client.ping()) === 'PONG',
          },
        },
      }));
      db.on('failover', (event) => {
        lines.push(`Failover: ${event.primary} → ${event.backup}`);
      });
      await db.connect();
      return db;
    }
    const db = await createDatabase();
    expect(lines).toEqual(['Failover: primary → replica']);
    expect(db.get('primary')).toBe(clients.replica);
    expect(db.health()).toEqual({
      primary: { status: 'unhealthy', failoverTo: 'replica' },
      replica: { status: 'healthy' },
      cache: { status: 'healthy' },
    });
  });
});
