// Node.js's built-in EventSource as an independent client:
//   node --experimental-eventsource node-eventsource.mjs URL COUNT TYPES_JSON
// Prints the collected events as JSON on stdout; exits non-zero on failure.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { collect } = require('./collect.js');

const [url, count, types] = process.argv.slice(2);
if (typeof EventSource === 'undefined') {
  console.error(`this Node.js (${process.version}) has no EventSource; run it with --experimental-eventsource`);
  process.exit(2);
}
try {
  const seen = await collect(EventSource, url, JSON.parse(types), Number(count));
  process.stdout.write(JSON.stringify(seen));
} catch (error) {
  console.error(String(error));
  process.exit(1);
}
