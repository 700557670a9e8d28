// Type definitions for omnidb/fastify: the Fastify plugin. Registering it adds
// `fastify.db`, `request.db` and `reply.omnidbError()` to Fastify's types (declaration
// merging below). To type the connections, augment OmniDbConnections:
//   declare module 'omnidb/fastify' { interface OmniDbConnections { primary: Pool } }

import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import type { Orchestrator, OrchestratorConfig, ReadinessOptions, ErrorMappingOptions } from './index';

/** `fastify.db`: typed by {@link omnidbFastify.OmniDbConnections} once you augment it. */
type FastifyOmniDb = keyof omnidbFastify.OmniDbConnections extends never
  ? Orchestrator<any>
  : Orchestrator<omnidbFastify.OmniDbConnections>;

declare module 'fastify' {
  interface FastifyInstance {
    /** The orchestrator the omnidb plugin registered (property name `db` by default). */
    db: FastifyOmniDb;
  }
  interface FastifyRequest {
    /** The orchestrator the omnidb plugin registered (property name `db` by default). */
    db: FastifyOmniDb;
  }
  interface FastifyReply {
    /** Sends the 503/504 of an OmniDB error and returns true; false (nothing sent) for any other error. */
    omnidbError(err: unknown): boolean;
  }
}

type OmniDbFastifyPlugin = FastifyPluginAsync<omnidbFastify.OmniDbFastifyOptions>;

declare namespace omnidbFastify {
  /** Augment to type `fastify.db` / `request.db` with your connections record. */
  export interface OmniDbConnections {}

  /** The readiness route: a path, or a path with the readiness options. */
  export interface ReadinessRoute<N extends string = string> extends ReadinessOptions<N> {
    url: `/${string}`;
  }

  /** Options of the plugin: `fastify.register(omnidb, { db })`. */
  export interface OmniDbFastifyOptions extends ErrorMappingOptions {
    /** An Orchestrator, or the config to build one from. */
    db: Orchestrator<any> | OrchestratorConfig<Record<string, any>>;
    /** The decorator name on the instance and the request. Default `'db'`. */
    property?: string;
    /** Registers a readiness route (200, or 503 with the report). Default: none. */
    readiness?: `/${string}` | ReadinessRoute;
    /**
     * Maps OmniDB errors (503 + Retry-After, 504) in an error handler that wraps the one
     * in force at registration; other errors reach that one unchanged. Default true.
     */
    errorHandler?: boolean;
    /** Calls `db.connect()` on `onReady`. Default true. `disconnect()` always runs on `onClose`. */
    connect?: boolean;
  }

  const omnidb: OmniDbFastifyPlugin;
  /** For your own error handler (with `errorHandler: false`): same as `reply.omnidbError(err)`. */
  export function replyError(reply: FastifyReply, err: unknown): boolean;
  export { omnidb, omnidb as default };
}

declare function omnidbFastify(...params: Parameters<OmniDbFastifyPlugin>): ReturnType<OmniDbFastifyPlugin>;
export = omnidbFastify;
