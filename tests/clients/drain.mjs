// COUNT of Node.js's built-in EventSources on one URL, through a drain (tests/drain.rs):
//   node --experimental-eventsource drain.mjs URL COUNT
// Prints, one line each, when it happens: `opened` (every client is open), `received` (every
// client has an event, so every one has a Last-Event-ID), `reconnected` (every client lost its
// first connection and opened another). Once every client has received the event whose data is
// `end`, prints one JSON line: for each client the data of its events in order, their ids, and
// the milliseconds between the end of its first connection and its next open. Reconnecting is
// the EventSource's own, after the `retry:` the server sent: this script never reconnects.
const [url, count] = [process.argv[2], Number(process.argv[3])];
if (typeof EventSource === 'undefined') {
  console.error(`this Node.js (${process.version}) has no EventSource; run it with --experimental-eventsource`);
  process.exit(2);
}

// A connection per request. With undici's kept-alive connections (undici 6, Node.js 20), a few
// dozen of 1,000 EventSources never opened again after the drain: stuck in CONNECTING, their
// request never reached B, as if sent into the connection the drained instance was closing.
// Node.js has no API for this: its fetch takes undici's global dispatcher from this symbol.
const dispatcher = Symbol.for('undici.globalDispatcher.1');
await fetch('http://127.0.0.1:1').catch(() => {}); // makes the default one
globalThis[dispatcher] = new globalThis[dispatcher].constructor({ pipelining: 0 });

const clients = [];
const counts = { opened: 0, received: 0, reconnected: 0, ended: 0 };
const reach = (what) => {
  counts[what] += 1;
  if (counts[what] === count && what !== 'ended') console.log(what);
  if (counts.ended === count) {
    const report = clients.map(({ data, ids, reconnectMs }) => ({ data, ids, reconnectMs }));
    // Exits once the whole report is written: a pipe takes it a piece at a time.
    process.stdout.write(`${JSON.stringify(report)}\n`, () => process.exit(0));
  }
};

// Where it stands, on stderr, for a test that times out.
setInterval(() => {
  const waiting = clients.filter((client) => client.reconnectMs === null);
  const lost = waiting.filter((client) => client.lostAt !== null).length;
  console.error(`drain.mjs: ${JSON.stringify(counts)}; not reconnected: ${lost} lost, ${waiting.length - lost} still on their first connection`);
}, 5000).unref();

for (let n = 0; n < count; n += 1) {
  const client = { data: [], ids: [], lostAt: null, reconnectMs: null, opens: 0 };
  clients.push(client);
  const source = new EventSource(url);
  source.addEventListener('open', () => {
    client.opens += 1;
    if (client.opens === 1) reach('opened');
    if (client.lostAt !== null && client.reconnectMs === null) {
      client.reconnectMs = performance.now() - client.lostAt;
      reach('reconnected');
    }
  });
  source.addEventListener('error', () => {
    if (source.readyState === EventSource.CLOSED) {
      console.error(`client ${n} gave up after ${client.data.length} events`);
      process.exit(1);
    }
    // CONNECTING: the connection ended and the EventSource waits its reconnection time.
    if (client.lostAt === null) client.lostAt = performance.now();
  });
  source.addEventListener('message', (event) => {
    if (event.data === 'end') {
      source.close();
      reach('ended');
      return;
    }
    client.data.push(event.data);
    client.ids.push(event.lastEventId);
    if (client.data.length === 1) reach('received');
  });
}
