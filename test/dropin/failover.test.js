'use strict';
// omni-db docs/failover.md, run against omnidb with in-memory client fakes (their
// ping() resolves to true, which is what the page's `async (c) => c.ping()` checks
// need to report healthy).
//
// Examples of the page not turned into a test here, and why:
// - The ASCII diagram: not code.
// - `slack.send(...)`, `metrics.increment(...)`, `pagerduty.alert(...)`: the reader's
//   own services; the listeners that would call them run and their arguments are checked.
// - "Test Failover Regularly": advice, no code.
// - Failover Conditions, "degraded | healthy | Route to backup": CONTRACT.md settles that
//   a name routes to its backup when it is unhealthy or its circuit is not closed, so a
//   degraded primary keeps serving in omnidb; the settled behaviour is asserted.

const { Orchestrator } = require('../..');
const { fakePinger, collect, trackOrchestrators } = require('./fakes');

const track = trackOrchestrators();

function configured() {
  const primaryClient = fakePinger('primary');
  const replicaClient = fakePinger('replica');
  const db = track(new Orchestrator({
    connections: {
      primary: primaryClient,
      replica: replicaClient,
    },
    failover: {
      primary: 'replica',
    },
    healthCheck: {
      interval: '10s',
      checks: {
        primary: async (c) => c.ping(),
        replica: async (c) => c.ping(),
      },
    },
  }));
  return { db, primaryClient, replicaClient };
}

describe('How Failover Works', () => {
  test('1-3: a failed check marks the primary unhealthy and get("primary") returns the replica', async () => {
    const { db, primaryClient, replicaClient } = configured();
    primaryClient.down = true;
    await db.connect();
    expect(db.health().primary.status).toBe('unhealthy');
    const client = db.get('primary');
    expect(client).toBe(replicaClient);
    await expect(client.query('SELECT * FROM users')).resolves.toEqual({ rows: [{ from: 'replica' }] });
  });

  test('4: a failover event is emitted with { primary, backup }', async () => {
    const { db, primaryClient } = configured();
    primaryClient.down = true;
    const seen = [];
    db.on('failover', ({ primary, backup }) => seen.push(`Switched from ${primary} to ${backup}`));
    await db.connect();
    expect(seen).toEqual(['Switched from primary to replica']);
  });

  test('5: when the primary is healthy again routing reverts and recovery is emitted (fake timers: next 10s round)', async () => {
    jest.useFakeTimers();
    const { db, primaryClient } = configured();
    primaryClient.down = true;
    const seen = [];
    db.on('recovery', ({ primary, backup }) => seen.push(`Recovered ${primary}, was using ${backup}`));
    await db.connect();
    primaryClient.down = false;
    await jest.advanceTimersByTimeAsync(10_000);
    expect(seen).toEqual(['Recovered primary, was using replica']);
    expect(db.get('primary')).toBe(primaryClient);
  });
});

describe('Checking Failover Status', () => {
  test('health().primary.failoverTo names the backup in use while failed over', async () => {
    const { db, primaryClient } = configured();
    primaryClient.down = true;
    await db.connect();
    const status = db.health();
    expect(status.primary.failoverTo).toBe('replica');
  });

  test('health().primary has no failoverTo while the primary serves', async () => {
    const { db } = configured();
    await db.connect();
    expect(db.health().primary).toEqual({ status: 'healthy' });
  });
});

describe('Failover Conditions', () => {
  function withStatuses(primaryStatus, backupStatus) {
    const primary = fakePinger('primary');
    const backup = fakePinger('backup');
    const db = track(new Orchestrator({
      connections: { primary, backup },
      failover: { primary: 'backup' },
      healthCheck: { checks: { primary: async () => primaryStatus, backup: async () => backupStatus } },
    }));
    return { db, primary, backup };
  }

  test.each([
    ['unhealthy', 'healthy', 'backup'],
    ['unhealthy', 'degraded', 'backup'],
    ['unhealthy', 'unhealthy', 'primary'],
    ['healthy', 'healthy', 'primary'],
    ['healthy', 'degraded', 'primary'],
    ['healthy', 'unhealthy', 'primary'],
  ])('primary %s, backup %s: get("primary") is served by the %s', async (p, b, expected) => {
    const { db, primary, backup } = withStatuses(p, b);
    await db.connect();
    expect(db.get('primary')).toBe(expected === 'backup' ? backup : primary);
  });

  test('primary degraded, backup healthy (settled): the degraded primary keeps serving', async () => {
    const { db, primary } = withStatuses('degraded', 'healthy');
    await db.connect();
    expect(db.get('primary')).toBe(primary);
    expect(db.health().primary).toEqual({ status: 'degraded' });
  });
});

describe('Example: Multi-Region Setup', () => {
  function multiRegion() {
    const usWestPrimary = fakePinger('us-west-primary');
    const usWestReplica = fakePinger('us-west-replica');
    const usEastPrimary = fakePinger('us-east-primary');
    const db = track(new Orchestrator({
      connections: {
        'us-west-primary': usWestPrimary,
        'us-west-replica': usWestReplica,
        'us-east-primary': usEastPrimary,
      },
      failover: {
        'us-west-primary': 'us-west-replica',
        'us-west-replica': 'us-east-primary',
      },
      healthCheck: {
        interval: '15s',
        timeout: '3s',
        checks: {
          'us-west-primary': async (c) => c.ping(),
          'us-west-replica': async (c) => c.ping(),
          'us-east-primary': async (c) => c.ping(),
        },
      },
    }));
    return { db, usWestPrimary, usWestReplica, usEastPrimary };
  }

  test('the us-west primary fails over to the us-west replica', async () => {
    const { db, usWestPrimary, usWestReplica } = multiRegion();
    usWestPrimary.down = true;
    const failovers = collect(db, 'failover');
    await db.connect();
    expect(db.get('us-west-primary')).toBe(usWestReplica);
    expect(failovers).toEqual([expect.objectContaining({ primary: 'us-west-primary', backup: 'us-west-replica' })]);
  });

  test('with both us-west connections down, the chain reaches us-east', async () => {
    const { db, usWestPrimary, usWestReplica, usEastPrimary } = multiRegion();
    usWestPrimary.down = true;
    usWestReplica.down = true;
    await db.connect();
    expect(db.get('us-west-primary')).toBe(usEastPrimary);
    expect(db.get('us-west-replica')).toBe(usEastPrimary);
  });
});

describe('Best Practices', () => {
  test('"Always Configure Health Checks": with failover alone nothing detects a failure, so get() stays on the primary', async () => {
    const primary = fakePinger('primary');
    primary.down = true;
    const db = track(new Orchestrator({
      connections: { primary, replica: fakePinger('replica') },
      failover: { primary: 'replica' },
    }));
    await db.connect();
    expect(db.get('primary')).toBe(primary);
  });

  test('"Always Configure Health Checks": with a check on the primary, failover works', async () => {
    const primary = fakePinger('primary');
    const replica = fakePinger('replica');
    primary.down = true;
    const db = track(new Orchestrator({
      connections: { primary, replica },
      failover: { primary: 'replica' },
      healthCheck: {
        checks: {
          primary: async (c) => c.ping(),
        },
      },
    }));
    await db.connect();
    expect(db.get('primary')).toBe(replica);
  });

  test('"Monitor Failover Events": the failover listener receives the primary\'s name', async () => {
    const { db, primaryClient } = configured();
    primaryClient.down = true;
    const alerts = [];
    db.on('failover', ({ primary }) => alerts.push(`Database ${primary} failed over`));
    await db.connect();
    expect(alerts).toEqual(['Database primary failed over']);
  });
});
