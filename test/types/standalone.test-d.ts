// Type tests for the standalone CircuitBreaker and Registry (run with `npx tsd`).
// A separate file: index.test-d.ts names opossum's default export CircuitBreaker.

import { expectAssignable, expectError, expectNotAssignable, expectType } from 'tsd';
import {
  CircuitBreaker,
  CircuitBreakerConfig,
  CircuitBreakerSettings,
  CircuitState,
  Registry,
} from '../..';
import * as omnidb from '../..';

// ---- CircuitBreaker -----------------------------------------------------------

const circuit = new CircuitBreaker({ threshold: 3, resetTimeout: '10s', halfOpenSuccesses: 2 });
new CircuitBreaker();
new CircuitBreaker({});
new CircuitBreaker({ resetTimeout: 30000, halfOpenMaxCalls: 4 });
expectType<CircuitBreaker>(new omnidb.CircuitBreaker());

expectError(new CircuitBreaker({ resetTimeout: '10 seconds' }));
expectError(new CircuitBreaker({ threshold: '3' }));
expectError(new CircuitBreaker({ treshold: 3 }));
expectError(new CircuitBreaker({ use: { execute: async () => 1 } }));

// A config typed as the documented CircuitBreakerConfig is accepted.
const documented: CircuitBreakerConfig = { threshold: 5, resetTimeout: '30s', halfOpenSuccesses: 2 };
new CircuitBreaker(documented);
expectAssignable<CircuitBreakerSettings>({ threshold: 1 });
expectNotAssignable<CircuitBreakerSettings>({ threshold: 'one' });

expectType<CircuitState>(circuit.state);
expectType<'closed' | 'open' | 'half-open'>(circuit.state);
expectType<number>(circuit.failures);
expectError((circuit.state = 'open'));
expectError((circuit.failures = 0));

expectType<Promise<{ id: number }[]>>(circuit.execute(async () => [{ id: 1 }]));
expectType<Promise<number>>(circuit.execute(() => 42));
expectType<Promise<string>>(circuit.execute(() => Promise.resolve('x')));
expectError(circuit.execute());
expectError(circuit.execute((client: unknown) => client));

expectType<boolean>(circuit.canExecute());
expectType<void>(circuit.success());
expectType<boolean>(circuit.failure());
expectType<void>(circuit.reset());
expectType<void>(circuit.open());

// ---- Registry -----------------------------------------------------------------

class Pool {
  query(sql: string): Promise<string> {
    return Promise.resolve(sql);
  }
}

const registry = new Registry();
registry.register('primary', new Pool());
expectType<Registry>(registry.register('a', 1).register('b', 2));
expectType<unknown>(registry.get('primary'));
expectType<Pool | undefined>(registry.get<Pool>('primary'));
expectType<boolean>(registry.has('primary'));
expectType<string[]>(registry.list());
expectType<number>(registry.size);
expectError((registry.size = 2));
expectError(registry.size());
expectType<boolean>(registry.delete('primary'));
expectType<void>(registry.clear());
expectType<IterableIterator<[string, unknown]>>(registry.entries());
for (const [name, client] of registry) {
  expectType<string>(name);
  expectType<unknown>(client);
}

const pools = new Registry<Pool>();
pools.register('primary', new Pool());
expectError(pools.register('cache', 'not a pool'));
expectType<Pool | undefined>(pools.get('primary'));
expectType<IterableIterator<[string, Pool]>>(pools.entries());
expectType<Registry<Pool>>(new omnidb.Registry<Pool>());
