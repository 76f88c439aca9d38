// The framework's floor for `npm run bench`: "an empty NestJS route with a guard doing one Redis read"
// (issue 12's own yardstick), on the Fastify adapter, with nothing of the app around it: no request
// context or request id, no metrics, no validation pipe, no exception filter, no session record
// beyond one JSON string. What the app's `GET /users/me` costs above this is the app's own.
//
//   POST /auth/login   (only to hand the bench its tokens) stores {"user": {...}} under a new token
//   GET  /users/me     a guard reads the token's record (one GET) and puts the user on the request;
//                      the handler returns it
//   GET  /health       200
//
// The other bench endpoints are not served here (the bench measures only `me` on this target).
// Plain JavaScript: Nest's decorators are applied as functions, and the constructor parameters are
// injected by token (no TypeScript metadata). Environment: PORT, REDIS_URL (required), and
// NEST_FLOOR_ADD, a comma list of what the app adds to every request, to price each on the floor:
//   context   a request id (X-Request-Id) and an AsyncLocalStorage context around the request, as the
//             app's request logger does (issue 16)
//   metrics   a prom-client histogram observation per answer, as the app's onResponse hook does

import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { Controller, Get, HttpCode, Inject, Injectable, Module, Post, Req, UnauthorizedException, UseGuards } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { createClient } from '@redis/client';

const PORT = Number(process.env.PORT ?? 3000);
if (!process.env.REDIS_URL) {
  console.error('nest-floor: REDIS_URL is required');
  process.exit(1);
}
const redis = createClient({ url: process.env.REDIS_URL });
await redis.connect();
const REDIS = 'REDIS';
const TTL_SECONDS = 3600;
const key = (token) => `nest-floor:session:${token}`;

class SessionGuard {
  constructor(store) {
    this.store = store;
  }

  async canActivate(context) {
    const request = context.switchToHttp().getRequest();
    const header = request.headers.authorization;
    const token = typeof header === 'string' ? header.replace(/^Bearer\s+/i, '') : '';
    const raw = token ? await this.store.get(key(token)) : null;
    if (!raw) throw new UnauthorizedException();
    request.user = JSON.parse(raw).user;
    return true;
  }
}
Injectable()(SessionGuard);
Inject(REDIS)(SessionGuard, undefined, 0);

class FloorController {
  constructor(store) {
    this.store = store;
  }

  async login() {
    const token = randomUUID();
    const user = { id: 1, openid: 'nest-floor', unionid: null };
    await this.store.set(key(token), JSON.stringify({ user }), { EX: TTL_SECONDS });
    return { token, expiresIn: TTL_SECONDS, user };
  }

  me(request) {
    return request.user;
  }

  health() {
    return { status: 'ok' };
  }
}
Inject(REDIS)(FloorController, undefined, 0);
const method = (name) => Object.getOwnPropertyDescriptor(FloorController.prototype, name);
HttpCode(200)(FloorController.prototype, 'login', method('login'));
Post('auth/login')(FloorController.prototype, 'login', method('login'));
UseGuards(SessionGuard)(FloorController.prototype, 'me', method('me'));
Get('users/me')(FloorController.prototype, 'me', method('me'));
Req()(FloorController.prototype, 'me', 0);
Get('health')(FloorController.prototype, 'health', method('health'));
Controller()(FloorController);

class FloorModule {}
Module({ controllers: [FloorController], providers: [SessionGuard, { provide: REDIS, useValue: redis }] })(FloorModule);

const app = await NestFactory.create(FloorModule, new FastifyAdapter(), { logger: ['error', 'warn'] });
const added = new Set((process.env.NEST_FLOOR_ADD ?? '').split(',').filter(Boolean));
const fastify = app.getHttpAdapter().getInstance();
if (added.has('context')) {
  const { AsyncLocalStorage } = await import('node:async_hooks');
  const context = new AsyncLocalStorage();
  fastify.addHook('onRequest', (_request, reply, done) => {
    const requestId = randomUUID();
    reply.raw.setHeader('X-Request-Id', requestId);
    context.run({ requestId }, done);
  });
}
if (added.has('metrics')) {
  const { Histogram } = await import('prom-client');
  const duration = new Histogram({ name: 'http_request_duration_seconds', help: '-', labelNames: ['method', 'route', 'status_code'] });
  fastify.addHook('onResponse', (request, reply, done) => {
    duration.observe({ method: request.method, route: request.routeOptions.url, status_code: reply.statusCode }, reply.elapsedTime / 1000);
    done();
  });
}
await app.listen(PORT, '127.0.0.1');

const stop = async () => {
  await app.close();
  await redis.quit();
  process.exit(0);
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
