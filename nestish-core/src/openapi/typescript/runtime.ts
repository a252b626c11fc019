// ---- The client's runtime: the same for every app; the routes' functions are below it. ----

/** How the client reaches the app. */
export interface ClientOptions {
  /** The app's origin and prefix, e.g. `http://127.0.0.1:3000`; `""` (the default) for the page's own origin. */
  baseUrl?: string;
  /** Headers sent with every request (a function is asked before each one). */
  headers?: Record<string, string> | (() => Record<string, string>);
  /** A bearer token sent as `Authorization: Bearer <token>` (a function is asked before each request). */
  bearer?: string | (() => string | undefined);
  /** Whether the browser sends its cookies: `include` by default, so that a session cookie goes along. */
  credentials?: RequestCredentials;
  /** The `fetch` to use; the global one by default. */
  fetch?: typeof fetch;
  /**
   * How GET event streams are read: `auto` (the default) uses the browser's `EventSource` where it
   * exists and the stream needs no header of ours, else `fetch` with `eventsource-parser`.
   */
  transport?: "auto" | "fetch" | "eventsource";
}

/** A request that got no answer: the network failed, or the request was aborted. */
export interface NetworkFailure {
  network: string;
}

/** A route's answer: its value on success, else its status and error body; never thrown. */
export type Result<T, E> =
  | { ok: true; status: number; value: T }
  | { ok: false; status: number; error: E | NetworkFailure };

/** Options of one request. */
export interface RequestOptions {
  /** Aborts the request. */
  signal?: AbortSignal;
}

/** Options of one subscription. */
export interface SubscribeOptions {
  /** Resume after this event id (sent as `Last-Event-ID` on the first connection). */
  lastEventId?: string;
  /** Milliseconds between a dropped connection and the next, until the server's `retry:` says otherwise (3000). */
  retryMs?: number;
  /** Ends the subscription. */
  signal?: AbortSignal;
  /** Called each time a connection opens (the server answered 200), the reconnections too: a page shows it is live. */
  onOpen?: () => void;
  /** Called when a connection ended or failed and another will follow, after the retry: a page shows it is away. */
  onReconnecting?: () => void;
}

/** A stream the server refused (a status other than 200 or 204), with its error body. */
export class StreamError<E = unknown> extends Error {
  constructor(
    readonly status: number,
    readonly error: E,
  ) {
    super(`the stream was refused with ${status}`);
    this.name = "StreamError";
  }
}

/**
 * A subscription to an event stream: `for await (const event of subscription)`. It reconnects
 * after a dropped connection, after the server's `retry:`, sending the last event id it saw as
 * `Last-Event-ID`; it ends (without reopening) when the server answers 204, after an event that
 * ends the stream, or on `close()`. A refused connection is thrown as a `StreamError` (over the
 * browser's `EventSource`, which does not tell the status, a refusal ends the iteration).
 */
export interface Subscription<Event extends { event: string; data: unknown }> extends AsyncIterable<Event> {
  /** The id of the last event received, sent as `Last-Event-ID` on the next connection. */
  readonly lastEventId: string | undefined;
  /** How many connections were opened. */
  readonly connections: number;
  /** Drops the current connection and opens another at once, resuming after `lastEventId`. */
  reconnect(): void;
  /** Ends the subscription; an iteration under way ends. */
  close(): void;
  /**
   * Reads the stream, calling the handler of each event's name with its data (the other way to
   * read it than `for await`); resolves when the stream ends, rejects as the iteration would throw.
   */
  on(handlers: Handlers<Event>): Promise<void>;
}

/** One handler per event name, each given that event's data. */
export type Handlers<Event extends { event: string; data: unknown }> = {
  [Name in Event["event"]]?: (data: Extract<Event, { event: Name }>["data"], event: Extract<Event, { event: Name }>) => void;
};

type Location = "path" | "query" | "header" | "cookie";

interface ParamSpec {
  name: string;
  key: string;
  in: Location;
}

interface OperationSpec {
  method: string;
  path: string;
  params: ParamSpec[];
  body?: string;
}

interface StreamSpec extends OperationSpec {
  /** Each event name: whether its data is JSON, and whether the stream ends after it. */
  events: Record<string, { json: boolean; end: boolean }>;
  /** Whether events of other names (and text data) may come. */
  untyped: boolean;
}

type Args = Record<string, unknown>;

type EventsourceParser = typeof import("eventsource-parser");

/** `eventsource-parser`, loaded the first time a stream is read with `fetch`, then kept. */
let parserModule: Promise<EventsourceParser> | undefined;

/**
 * `eventsource-parser` (npm), imported when first needed rather than at the top of the file: a
 * browser page that reads only GET streams, over its `EventSource`, then needs no import map or
 * bundler to resolve it. A failed import is not kept, so the next stream tries again.
 */
function eventsourceParser(): Promise<EventsourceParser> {
  parserModule ??= import("eventsource-parser").catch((error: unknown) => {
    parserModule = undefined;
    throw error;
  });
  return parserModule;
}

function text(value: unknown): string {
  return typeof value === "string" ? value : JSON.stringify(value);
}

function target(options: ClientOptions, spec: OperationSpec, args: Args): { url: string; headers: Record<string, string> } {
  let path = spec.path;
  const query = new URLSearchParams();
  const headers: Record<string, string> = {};
  const cookies: string[] = [];
  for (const param of spec.params) {
    const value = args[param.key];
    if (value === undefined || value === null) continue;
    switch (param.in) {
      case "path":
        path = path.replace(`{${param.name}}`, encodeURIComponent(text(value)));
        break;
      case "query":
        for (const one of Array.isArray(value) ? value : [value]) query.append(param.name, text(one));
        break;
      case "header":
        headers[param.name] = text(value);
        break;
      case "cookie":
        cookies.push(`${param.name}=${encodeURIComponent(text(value))}`);
        break;
    }
  }
  if (cookies.length > 0) headers["cookie"] = cookies.join("; ");
  const search = query.toString();
  return { url: (options.baseUrl ?? "") + path + (search ? `?${search}` : ""), headers };
}

function common(options: ClientOptions): Record<string, string> {
  const headers = { ...(typeof options.headers === "function" ? options.headers() : (options.headers ?? {})) };
  const bearer = typeof options.bearer === "function" ? options.bearer() : options.bearer;
  if (bearer !== undefined) headers["authorization"] = `Bearer ${bearer}`;
  return headers;
}

function init(options: ClientOptions, spec: OperationSpec, args: Args, headers: Record<string, string>, signal?: AbortSignal): RequestInit {
  const request: RequestInit = { method: spec.method, headers, credentials: options.credentials ?? "include", signal };
  if (spec.body !== undefined && args["body"] !== undefined) {
    headers["content-type"] = spec.body;
    const body = args["body"];
    request.body = spec.body === "application/json" ? JSON.stringify(body) : (body as BodyInit);
  }
  return request;
}

async function decode(response: Response): Promise<unknown> {
  const body = await response.text();
  if (body === "") return undefined;
  const type = response.headers.get("content-type") ?? "";
  if (/[/+]json\b/.test(type)) {
    try {
      return JSON.parse(body);
    } catch {
      return body;
    }
  }
  return body;
}

function failure(error: unknown): NetworkFailure {
  return { network: error instanceof Error ? error.message : String(error) };
}

async function request<T, E>(options: ClientOptions, spec: OperationSpec, args: Args, extra?: RequestOptions): Promise<Result<T, E>> {
  const { url, headers } = target(options, spec, args);
  const all = { ...common(options), ...headers };
  let response: Response;
  try {
    response = await (options.fetch ?? fetch)(url, init(options, spec, args, all, extra?.signal));
  } catch (error) {
    return { ok: false, status: 0, error: failure(error) };
  }
  let body: unknown;
  try {
    body = await decode(response);
  } catch (error) {
    return { ok: false, status: response.status, error: failure(error) };
  }
  return response.ok
    ? { ok: true, status: response.status, value: body as T }
    : { ok: false, status: response.status, error: body as E };
}

interface RawEvent {
  event?: string;
  data: string;
  id?: string;
}

/** Turns one raw event into the route's typed event; `undefined` for one the route does not send. */
function typed(spec: StreamSpec, raw: RawEvent): { event: string; data: unknown; id?: string; end: boolean } | undefined {
  const name = raw.event ?? "message";
  const known = spec.events[name];
  if (known === undefined && !spec.untyped) return undefined;
  const data = known?.json ? JSON.parse(raw.data) : raw.data;
  const event: { event: string; data: unknown; id?: string; end: boolean } = { event: name, data, end: known?.end ?? false };
  if (raw.id !== undefined && raw.id !== "") event.id = raw.id;
  return event;
}

function wait(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done);
  });
}

function subscribe<Event extends { event: string; data: unknown }>(options: ClientOptions, spec: StreamSpec, args: Args, extra?: SubscribeOptions): Subscription<Event> {
  const closing = new AbortController();
  if (extra?.signal) {
    if (extra.signal.aborted) closing.abort();
    else extra.signal.addEventListener("abort", () => closing.abort(), { once: true });
  }
  let lastEventId = extra?.lastEventId;
  let retry = extra?.retryMs ?? 3000;
  let connections = 0;
  let connection: AbortController | undefined;
  let again: (() => void) | undefined;
  const headers = common(options);
  const wanted = options.transport ?? "auto";
  const eventSource =
    wanted === "eventsource" ||
    (wanted === "auto" && spec.method === "GET" && typeof EventSource !== "undefined" && Object.keys(headers).length === 0 && !spec.params.some((p) => (p.in === "header" || p.in === "cookie") && args[p.key] !== undefined));

  async function* overFetch(): AsyncGenerator<Event> {
    while (!closing.signal.aborted) {
      const current = new AbortController();
      connection = current;
      const stop = () => current.abort();
      closing.signal.addEventListener("abort", stop, { once: true });
      const { url, headers: own } = target(options, spec, args);
      const all: Record<string, string> = { ...common(options), ...own, accept: "text/event-stream" };
      if (lastEventId !== undefined) all["last-event-id"] = lastEventId;
      try {
        connections += 1;
        let response: Response;
        try {
          response = await (options.fetch ?? fetch)(url, init(options, spec, args, all, current.signal));
        } catch {
          if (closing.signal.aborted) return;
          extra?.onReconnecting?.();
          // A network failure waits for the retry; a reconnect() asked for goes at once.
          if (!current.signal.aborted) await wait(retry, closing.signal);
          continue;
        }
        if (response.status === 204) return;
        if (response.status !== 200 || response.body === null) throw new StreamError(response.status, await decode(response));
        const { createParser } = await eventsourceParser();
        extra?.onOpen?.();
        const queue: RawEvent[] = [];
        const parser = createParser({
          onEvent: (event) => queue.push(event),
          onRetry: (ms) => {
            retry = ms;
          },
        });
        const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
        try {
          for (;;) {
            // A dropped connection (or one reconnect() ended) reads as an error: like the end
            // of the stream, it is followed by the next connection.
            const chunk = await reader.read().catch(() => undefined);
            if (chunk === undefined || chunk.done) break;
            parser.feed(chunk.value);
            while (queue.length > 0) {
              const raw = queue.shift() as RawEvent;
              if (raw.id !== undefined) lastEventId = raw.id;
              const event = typed(spec, raw);
              if (event === undefined) continue;
              const { end, ...rest } = event;
              yield rest as Event;
              if (end) return;
            }
          }
        } finally {
          reader.cancel().catch(() => undefined);
        }
        if (closing.signal.aborted) return;
        extra?.onReconnecting?.();
        if (current.signal.aborted) continue;
        await wait(retry, closing.signal);
      } finally {
        closing.signal.removeEventListener("abort", stop);
        current.abort();
      }
    }
  }

  async function* overEventSource(): AsyncGenerator<Event> {
    const { url } = target(options, spec, args);
    const source = new EventSource(url, { withCredentials: (options.credentials ?? "include") !== "omit" });
    connections += 1;
    const queue: (Event | { error: unknown } | "end")[] = [];
    const wake = () => {
      const next = again;
      again = undefined;
      next?.();
    };
    const listen = (name: string) =>
      source.addEventListener(name, (message: MessageEvent) => {
        if (message.lastEventId !== "") lastEventId = message.lastEventId;
        try {
          const event = typed(spec, { event: name, data: String(message.data), id: message.lastEventId });
          if (event === undefined) return;
          const { end, ...rest } = event;
          queue.push(rest as Event);
          if (end) {
            source.close();
            queue.push("end");
          }
        } catch (error) {
          queue.push({ error });
        }
        wake();
      });
    for (const name of Object.keys(spec.events)) listen(name);
    if (spec.untyped && !("message" in spec.events)) listen("message");
    // The browser reconnects by itself (with Last-Event-ID, after the server's retry:); it
    // gives up on a 204 or a refusal, which ends the subscription.
    source.addEventListener("open", () => extra?.onOpen?.());
    source.addEventListener("error", () => {
      if (source.readyState === EventSource.CLOSED) {
        queue.push("end");
        wake();
      } else {
        extra?.onReconnecting?.();
      }
    });
    const stop = () => {
      source.close();
      queue.push("end");
      wake();
    };
    closing.signal.addEventListener("abort", stop, { once: true });
    const current = new AbortController();
    connection = current;
    current.signal.addEventListener("abort", stop, { once: true });
    try {
      for (;;) {
        while (queue.length === 0) await new Promise<void>((resolve) => (again = resolve));
        const next = queue.shift() as Event | { error: unknown } | "end";
        if (next === "end") return;
        if (typeof next === "object" && next !== null && "error" in next && Object.keys(next).length === 1) throw (next as { error: unknown }).error;
        yield next as Event;
      }
    } finally {
      closing.signal.removeEventListener("abort", stop);
      source.close();
    }
  }

  let reconnecting = false;
  const subscription: Subscription<Event> = {
    get lastEventId() {
      return lastEventId;
    },
    get connections() {
      return connections;
    },
    reconnect() {
      reconnecting = true;
      connection?.abort();
    },
    close() {
      closing.abort();
    },
    async on(handlers: Handlers<Event>): Promise<void> {
      const byName = handlers as Record<string, ((data: unknown, event: Event) => void) | undefined>;
      for await (const event of subscription) byName[event.event]?.(event.data, event);
    },
    [Symbol.asyncIterator]() {
      // A reconnect asked of an EventSource subscription goes on over fetch, which can send
      // the last id (an EventSource cannot be opened with one).
      if (eventSource && !reconnecting) {
        const first = overEventSource();
        let switched: AsyncGenerator<Event> | undefined;
        return {
          async next(): Promise<IteratorResult<Event>> {
            if (switched) return switched.next();
            const step = await first.next();
            if (step.done && reconnecting && !closing.signal.aborted) {
              extra?.onReconnecting?.();
              switched = overFetch();
              return switched.next();
            }
            return step;
          },
          async return(): Promise<IteratorResult<Event>> {
            closing.abort();
            await first.return(undefined);
            if (switched) await switched.return(undefined);
            return { done: true, value: undefined };
          },
        };
      }
      const generator = overFetch();
      return {
        next: () => generator.next(),
        async return(): Promise<IteratorResult<Event>> {
          closing.abort();
          return generator.return(undefined);
        },
      };
    },
  };
  return subscription;
}
