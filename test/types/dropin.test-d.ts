// Type tests for omni-db's documented TypeScript usage (docs/typescript.md, and the
// typed snippets of README.md, docs/events.md, docs/middleware.md and
// docs/circuit-breaker.md), run with `npx tsd` against omnidb's typings: every type
// name those pages import exists and has the page's shape.
//
// PrismaClient is not a dependency here: a small class with the members the pages use
// stands in for it. ioredis (a devDependency) is the real one.

import { expectAssignable, expectError, expectType } from 'tsd';
import { Redis } from 'ioredis';
import {
  Orchestrator,
  HealthStatus,
  FailoverEvent,
  parseDuration,
} from '../..';
import type {
  Registry,
  CircuitBreaker,
  ConnectionHealth,
  OrchestratorConfig,
  HealthCheckConfig,
  HealthCheckFunction,
  ConnectedEvent,
  DisconnectedEvent,
  RecoveryEvent,
  HealthChangedEvent,
  ShutdownEvent,
  OrchestratorEvents,
  ErrorEvent,
  CircuitEvent,
  CircuitBreakerConfig,
  ExternalCircuitBreaker,
  RetryConfig,
} from '../..';

declare class PrismaClient {
  constructor(options?: { datasources?: { db?: { url?: string } } });
  $queryRaw(query: TemplateStringsArray, ...values: unknown[]): Promise<unknown>;
  $connect(): Promise<void>;
  $disconnect(): Promise<void>;
}

// ---------------------------------------------------------------- Basic Usage: inference

const db = new Orchestrator({
  connections: {
    postgres: new PrismaClient(),
    redis: new Redis({ lazyConnect: true }),
  },
});
const prisma = db.get('postgres');
const redis = db.get('redis');
expectType<PrismaClient>(prisma);
expectType<Redis>(redis);

// ---------------------------------------------------------------- Generic Configuration

interface MyConnections {
  primary: PrismaClient;
  replica: PrismaClient;
  cache: Redis;
}

const typed = new Orchestrator<MyConnections>({
  connections: {
    primary: new PrismaClient(),
    replica: new PrismaClient(),
    cache: new Redis({ lazyConnect: true }),
  },
});
expectType<PrismaClient>(typed.get('primary'));
expectType<Redis>(typed.get('cache'));
expectError(typed.get('nonexistent'));

// ---------------------------------------------------------------- HealthStatus, ConnectionHealth

expectType<'healthy' | 'degraded' | 'unhealthy'>(null as unknown as HealthStatus);
expectAssignable<ConnectionHealth>({ status: 'healthy' });
expectAssignable<ConnectionHealth>({ status: 'unhealthy', failoverTo: 'replica' });
expectType<HealthStatus>((null as unknown as ConnectionHealth).status);
expectType<string | undefined>((null as unknown as ConnectionHealth).failoverTo);

// ---------------------------------------------------------------- config types by name

const config: OrchestratorConfig<MyConnections> = {
  connections: { primary: new PrismaClient(), replica: new PrismaClient(), cache: new Redis({ lazyConnect: true }) },
  failover: { primary: 'replica' },
  healthCheck: { interval: '30s', timeout: '5s', retry: { retries: 2, delay: '100ms' } },
  circuitBreaker: { threshold: 5, resetTimeout: '30s', halfOpenSuccesses: 2 },
};
expectType<Orchestrator<MyConnections>>(new Orchestrator(config));
expectAssignable<OrchestratorConfig>({ connections: { a: {} } });

const healthCheck: HealthCheckConfig = { interval: '30s', checks: { a: async () => true } };
expectAssignable<OrchestratorConfig>({ connections: { a: {} }, healthCheck });

const retry: RetryConfig = { retries: 3, delay: '100ms' };
expectAssignable<HealthCheckConfig>({ retry });
expectError<RetryConfig>({ retries: 'three' });

const pingCheck: HealthCheckFunction<Redis> = async (client) => (await client.ping()) === 'PONG';
const anyCheck: HealthCheckFunction = async () => true;
expectAssignable<HealthCheckConfig<{ cache: Redis; other: unknown }>>({ checks: { cache: pingCheck, other: anyCheck } });

const breakerConfig: CircuitBreakerConfig = { threshold: 3, resetTimeout: '10s', halfOpenSuccesses: 2 };
expectAssignable<OrchestratorConfig>({ connections: { a: {} }, circuitBreaker: breakerConfig });
expectAssignable<CircuitBreakerConfig>({ resetTimeout: 30000 });

const opossumLike: ExternalCircuitBreaker = { fire: async () => 1 };
const cockatielLike: ExternalCircuitBreaker = { execute: async (fn) => fn() };
expectAssignable<CircuitBreakerConfig>({ use: opossumLike });
expectAssignable<CircuitBreakerConfig>({ use: cockatielLike });
expectError<ExternalCircuitBreaker>({ run: async () => 1 });

// ---------------------------------------------------------------- Event Types

expectAssignable<ConnectedEvent>({ name: 'primary', timestamp: 1 });
expectAssignable<DisconnectedEvent>({ name: 'primary', timestamp: 1 });
expectAssignable<FailoverEvent>({ primary: 'primary', backup: 'replica', timestamp: 1 });
expectAssignable<RecoveryEvent>({ primary: 'primary', backup: 'replica', timestamp: 1 });
expectAssignable<HealthChangedEvent>({ name: 'primary', previous: 'healthy', current: 'unhealthy', timestamp: 1 });
expectAssignable<ShutdownEvent>({ signal: 'SIGTERM', timestamp: 1 });
expectType<ConnectedEvent>(null as unknown as OrchestratorEvents['connected']);
expectType<DisconnectedEvent>(null as unknown as OrchestratorEvents['disconnected']);
expectType<FailoverEvent>(null as unknown as OrchestratorEvents['failover']);
expectType<RecoveryEvent>(null as unknown as OrchestratorEvents['recovery']);
expectType<HealthChangedEvent>(null as unknown as OrchestratorEvents['health:changed']);
expectType<ShutdownEvent>(null as unknown as OrchestratorEvents['shutdown']);
expectType<ErrorEvent>(null as unknown as OrchestratorEvents['error']);
expectAssignable<CircuitEvent>(null as unknown as OrchestratorEvents['circuit:open']);
expectAssignable<CircuitEvent>(null as unknown as OrchestratorEvents['circuit:close']);

// ---------------------------------------------------------------- Type-Safe Events

db.on('connected', (event) => {
  expectType<ConnectedEvent>(event);
  expectType<string>(`${event.name} connected at ${event.timestamp}`);
});
db.on('failover', (event) => {
  expectType<FailoverEvent>(event);
  expectType<string>(`${event.primary} → ${event.backup} at ${new Date(event.timestamp).toISOString()}`);
});
db.on('health:changed', (event) => {
  expectType<HealthChangedEvent>(event);
  expectType<HealthStatus>(event.previous);
  expectType<HealthStatus>(event.current);
});

// docs/events.md "TypeScript Event Types": listeners annotated with the imported names.
db.on('failover', (event: FailoverEvent) => {
  expectType<number>(event.timestamp);
});
db.on('health:changed', (event: HealthChangedEvent) => {
  expectType<string>(event.name);
});
db.on('error', (event: ErrorEvent) => {
  expectType<string>(event.message);
  expectAssignable<string>(event.context);
});
db.on('circuit:open', (event: CircuitEvent & { reason?: string }) => {
  expectType<string | undefined>(event.reason);
});
db.on('shutdown', (event: ShutdownEvent) => {
  expectType<string>(event.signal);
});
expectError(db.on('failover', (event: HealthChangedEvent) => event.current));

// ---------------------------------------------------------------- Typed Health Checks

const checked = new Orchestrator({
  connections: {
    postgres: new PrismaClient(),
    redis: new Redis({ lazyConnect: true }),
  },
  healthCheck: {
    checks: {
      postgres: async (client) => {
        expectType<PrismaClient>(client);
        await client.$queryRaw`SELECT 1`;
        return true;
      },
      redis: async (client) => {
        expectType<Redis>(client);
        return (await client.ping()) === 'PONG';
      },
    },
  },
});

// ---------------------------------------------------------------- Typed health() Response

const health = checked.health();
expectType<Record<'postgres' | 'redis', ConnectionHealth>>(health);
expectType<HealthStatus>(health.postgres.status);
expectType<string | undefined>(health.postgres.failoverTo);

// ---------------------------------------------------------------- Utility Function

const ms = parseDuration('30s');
expectType<number>(ms);

// ---------------------------------------------------------------- Complete Example

interface DatabaseClients {
  primary: PrismaClient;
  replica: PrismaClient;
  cache: Redis;
}

async function createDatabase(): Promise<Orchestrator<DatabaseClients>> {
  const created = new Orchestrator<DatabaseClients>({
    connections: {
      primary: new PrismaClient(),
      replica: new PrismaClient(),
      cache: new Redis({ lazyConnect: true }),
    },
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
  });
  created.on('failover', (event: FailoverEvent) => {
    expectType<string>(`Failover: ${event.primary} → ${event.backup}`);
  });
  await created.connect();
  return created;
}
expectType<Promise<Orchestrator<DatabaseClients>>>(createDatabase());

// ---------------------------------------------------------------- README API: properties

expectType<number>(db.size);
expectType<boolean>(db.isConnected);

// ---------------------------------------------------------------- docs/middleware.md

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      db: Orchestrator<MyConnections>;
    }
  }
}
declare const req: Express.Request;
expectType<PrismaClient>(req.db.get('primary'));

// NestJS's DatabaseService holds a plain `Orchestrator` and delegates get(name: string).
class DatabaseService {
  public readonly db: Orchestrator;

  constructor() {
    this.db = new Orchestrator({
      connections: { primary: new PrismaClient(), cache: new Redis({ lazyConnect: true }) },
    });
  }

  get(name: string) {
    return this.db.get(name);
  }

  health() {
    return this.db.health();
  }
}
expectType<Record<string, ConnectionHealth>>(new DatabaseService().health());

// ---------------------------------------------------------------- docs/circuit-breaker.md API Reference

declare const circuit: CircuitBreaker;
expectType<'closed' | 'open' | 'half-open'>(circuit.state);
expectType<number>(circuit.failures);
expectType<Promise<number>>(circuit.execute(async () => 1));
expectType<boolean>(circuit.canExecute());
expectType<void>(circuit.success());
expectType<boolean>(circuit.failure());
expectType<void>(circuit.reset());
expectType<void>(circuit.open());
expectError((circuit.state = 'open'));

// docs/errors.md: Registry
declare const registry: Registry;
expectType<Registry>(registry.register('db', {})); // the registry itself, for chaining (the docs leave the result unused)
expectType<boolean>(registry.has('db'));
expectType<string[]>(registry.list());
expectType<number>(registry.size);
