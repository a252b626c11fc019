// Collects `count` events from an EventSource on `url`, listening to `message` and to `types`.
// Shared by the Node.js client (node-eventsource.mjs) and the Chromium test, which injects it.
// Resolves with [{ type, data, lastEventId }] in arrival order.
function collect(EventSourceImpl, url, types, count) {
  return new Promise((resolve, reject) => {
    const source = new EventSourceImpl(url);
    const seen = [];
    const timer = setTimeout(() => {
      source.close();
      reject(new Error(`timed out after ${seen.length} of ${count} events`));
    }, 15000);
    const onEvent = (event) => {
      seen.push({ type: event.type, data: event.data, lastEventId: event.lastEventId });
      if (seen.length === count) {
        clearTimeout(timer);
        source.close();
        resolve(seen);
      }
    };
    for (const type of ['message', ...types]) {
      source.addEventListener(type, onEvent);
    }
    source.addEventListener('error', () => {
      if (source.readyState === 2) {
        clearTimeout(timer);
        reject(new Error(`the EventSource gave up after ${seen.length} events`));
      }
    });
  });
}

if (typeof module !== 'undefined') {
  module.exports = { collect };
}
