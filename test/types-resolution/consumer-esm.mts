// The ESM side under node16 resolution: default imports of CommonJS entry points.
import Fastify from 'fastify';
import omnidbFastify from 'omnidb/fastify';
import { Orchestrator, readinessReport } from 'omnidb';
import { errorHandler } from 'omnidb/koa';
import { OmniDbModule } from 'omnidb/nestjs';

const db = new Orchestrator({ connections: { primary: { ping: () => true } } });
const app = Fastify();
app.register(omnidbFastify, { db });
export const ready: boolean = readinessReport(db).ready;
export const koaErrors = errorHandler(db);
export const mod = OmniDbModule.forRoot(db);
