// The NestJS peer of nestish-bench: NestJS 11's @Sse() on Express, in plain JavaScript (no
// TypeScript build), with the decorators applied by hand through `Reflect.decorate`.
//
//   node main.js [--port P] [--tick-ms MS] [--hub-ms MS]
//
// Same routes and wire format as the Rust servers (see src/servers/mod.rs):
// - GET /sse: `data: {"hello":"world"}` every tick, the first one a tick after the request;
// - GET /flood?n=N: N events `{"hello":"world","i":i}`, then the end of the response;
// - GET /hub: `id: n` and `data: {"t":<unix µs>,"n":n}` from one publisher (an rxjs `Subject`)
//   to every subscriber; the publisher runs only with --hub-ms.
// Prints `listening on 127.0.0.1:PORT` once it listens. The harness starts it under
// `taskset -c 0`, so Node's every thread (main loop, libuv pool, V8 helpers) shares CPU 0.
'use strict';

require('reflect-metadata');
const { Controller, Module, Query, Sse } = require('@nestjs/common');
const { NestFactory } = require('@nestjs/core');
const { Subject, interval, map, range } = require('rxjs');

function options(argv) {
  const config = { port: 0, tickMs: 1000, hubMs: null };
  for (let i = 0; i < argv.length; i += 2) {
    const value = Number(argv[i + 1]);
    if (!Number.isInteger(value) || value < 0) {
      throw new Error(`${argv[i]}: cannot parse ${JSON.stringify(argv[i + 1])}`);
    }
    switch (argv[i]) {
      case '--port': config.port = value; break;
      case '--tick-ms': config.tickMs = value; break;
      case '--hub-ms': config.hubMs = value; break;
      default: throw new Error(`unknown argument ${JSON.stringify(argv[i])}`);
    }
  }
  if (config.tickMs === 0 || config.hubMs === 0) {
    throw new Error('--tick-ms and --hub-ms must be above 0');
  }
  return config;
}

const config = options(process.argv.slice(2));

/** The hub: every publication goes to every live subscriber; nothing is kept for late ones. */
const hub = new Subject();

/** The publisher of GET /hub, as the Rust servers' `publish_stamps`: a stamp every period. */
function publishStamps(periodMs) {
  const maxEvents = 36000;
  const start = Date.now();
  let n = 0;
  const next = () => {
    // Ticks missed while the loop was busy are published at once, back to back.
    while (n < maxEvents && Date.now() >= start + (n + 1) * periodMs) {
      n += 1;
      const t = Math.round((performance.timeOrigin + performance.now()) * 1000);
      hub.next({ id: String(n), data: { t, n } });
    }
    if (n < maxEvents) {
      setTimeout(next, Math.max(0, start + (n + 1) * periodMs - Date.now()));
    }
  };
  setTimeout(next, periodMs);
}

class AppController {
  sse() {
    return interval(config.tickMs).pipe(map(() => ({ data: { hello: 'world' } })));
  }

  flood(n) {
    return range(0, Number(n)).pipe(map((i) => ({ data: { hello: 'world', i } })));
  }

  hub() {
    return hub.asObservable();
  }
}

for (const [route, method] of [['sse', 'sse'], ['flood', 'flood'], ['hub', 'hub']]) {
  const descriptor = Object.getOwnPropertyDescriptor(AppController.prototype, method);
  Reflect.decorate([Sse(route)], AppController.prototype, method, descriptor);
}
Query('n')(AppController.prototype, 'flood', 0);
const DecoratedController = Reflect.decorate([Controller()], AppController);

class AppModule {}
const DecoratedModule = Reflect.decorate(
  [Module({ controllers: [DecoratedController] })],
  AppModule,
);

/** Dies when the harness does (it may be killed without a chance to kill this process). */
function dieWithParent() {
  const parent = Number(process.env.NESTISH_BENCH_PARENT);
  if (!parent) return;
  // Under `taskset`, which execs node, the parent is the harness itself.
  const check = () => {
    if (process.ppid !== parent) process.exit(1);
  };
  check();
  setInterval(check, 1000).unref();
}

async function main() {
  dieWithParent();
  const app = await NestFactory.create(DecoratedModule, { logger: false });
  await app.listen(config.port, '127.0.0.1');
  const server = app.getHttpServer();
  // Node's default since v18, set anyway: every server here turns Nagle off.
  server.on('connection', (socket) => socket.setNoDelay(true));
  if (config.hubMs !== null) publishStamps(config.hubMs);
  const { address, port } = server.address();
  process.stdout.write(`listening on ${address}:${port}\n`);
}

main().catch((error) => {
  process.stderr.write(`nestjs server: ${error && error.stack ? error.stack : error}\n`);
  process.exit(1);
});
