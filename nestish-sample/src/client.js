// The sample's TypeScript client compiled to JavaScript by tsc, served at /client.js.
// Do not edit: `NESTISH_BLESS=1 cargo test --test typescript_client the_served_client_is_the_samples_client_compiled` writes it again.
// The app's TypeScript client, written by nestish from its routes (nestish_core::openapi::typescript).
// Do not edit: write it again when the routes change.
/* eslint-disable */
/** A stream the server refused (a status other than 200 or 204), with its error body. */
export class StreamError extends Error {
    status;
    error;
    constructor(status, error) {
        super(`the stream was refused with ${status}`);
        this.status = status;
        this.error = error;
        this.name = "StreamError";
    }
}
/** `eventsource-parser`, loaded the first time a stream is read with `fetch`, then kept. */
let parserModule;
/**
 * `eventsource-parser` (npm), imported when first needed rather than at the top of the file: a
 * browser page that reads only GET streams, over its `EventSource`, then needs no import map or
 * bundler to resolve it. A failed import is not kept, so the next stream tries again.
 */
function eventsourceParser() {
    parserModule ??= import("eventsource-parser").catch((error) => {
        parserModule = undefined;
        throw error;
    });
    return parserModule;
}
function text(value) {
    return typeof value === "string" ? value : JSON.stringify(value);
}
function target(options, spec, args) {
    let path = spec.path;
    const query = new URLSearchParams();
    const headers = {};
    const cookies = [];
    for (const param of spec.params) {
        const value = args[param.key];
        if (value === undefined || value === null)
            continue;
        switch (param.in) {
            case "path":
                path = path.replace(`{${param.name}}`, encodeURIComponent(text(value)));
                break;
            case "query":
                for (const one of Array.isArray(value) ? value : [value])
                    query.append(param.name, text(one));
                break;
            case "header":
                headers[param.name] = text(value);
                break;
            case "cookie":
                cookies.push(`${param.name}=${encodeURIComponent(text(value))}`);
                break;
        }
    }
    if (cookies.length > 0)
        headers["cookie"] = cookies.join("; ");
    const search = query.toString();
    return { url: (options.baseUrl ?? "") + path + (search ? `?${search}` : ""), headers };
}
function common(options) {
    const headers = { ...(typeof options.headers === "function" ? options.headers() : (options.headers ?? {})) };
    const bearer = typeof options.bearer === "function" ? options.bearer() : options.bearer;
    if (bearer !== undefined)
        headers["authorization"] = `Bearer ${bearer}`;
    return headers;
}
function init(options, spec, args, headers, signal) {
    const request = { method: spec.method, headers, credentials: options.credentials ?? "include", signal };
    if (spec.body !== undefined && args["body"] !== undefined) {
        headers["content-type"] = spec.body;
        const body = args["body"];
        request.body = spec.body === "application/json" ? JSON.stringify(body) : body;
    }
    return request;
}
async function decode(response) {
    const body = await response.text();
    if (body === "")
        return undefined;
    const type = response.headers.get("content-type") ?? "";
    if (/[/+]json\b/.test(type)) {
        try {
            return JSON.parse(body);
        }
        catch {
            return body;
        }
    }
    return body;
}
function failure(error) {
    return { network: error instanceof Error ? error.message : String(error) };
}
async function request(options, spec, args, extra) {
    const { url, headers } = target(options, spec, args);
    const all = { ...common(options), ...headers };
    let response;
    try {
        response = await (options.fetch ?? fetch)(url, init(options, spec, args, all, extra?.signal));
    }
    catch (error) {
        return { ok: false, status: 0, error: failure(error) };
    }
    let body;
    try {
        body = await decode(response);
    }
    catch (error) {
        return { ok: false, status: response.status, error: failure(error) };
    }
    return response.ok
        ? { ok: true, status: response.status, value: body }
        : { ok: false, status: response.status, error: body };
}
/** Turns one raw event into the route's typed event; `undefined` for one the route does not send. */
function typed(spec, raw) {
    const name = raw.event ?? "message";
    const known = spec.events[name];
    if (known === undefined && !spec.untyped)
        return undefined;
    const data = known?.json ? JSON.parse(raw.data) : raw.data;
    const event = { event: name, data, end: known?.end ?? false };
    if (raw.id !== undefined && raw.id !== "")
        event.id = raw.id;
    return event;
}
function wait(ms, signal) {
    return new Promise((resolve) => {
        if (signal.aborted)
            return resolve();
        const done = () => {
            clearTimeout(timer);
            signal.removeEventListener("abort", done);
            resolve();
        };
        const timer = setTimeout(done, ms);
        signal.addEventListener("abort", done);
    });
}
function subscribe(options, spec, args, extra) {
    const closing = new AbortController();
    if (extra?.signal) {
        if (extra.signal.aborted)
            closing.abort();
        else
            extra.signal.addEventListener("abort", () => closing.abort(), { once: true });
    }
    let lastEventId = extra?.lastEventId;
    let retry = extra?.retryMs ?? 3000;
    let connections = 0;
    let connection;
    let again;
    const headers = common(options);
    const wanted = options.transport ?? "auto";
    const eventSource = wanted === "eventsource" ||
        (wanted === "auto" && spec.method === "GET" && typeof EventSource !== "undefined" && Object.keys(headers).length === 0 && !spec.params.some((p) => (p.in === "header" || p.in === "cookie") && args[p.key] !== undefined));
    async function* overFetch() {
        while (!closing.signal.aborted) {
            const current = new AbortController();
            connection = current;
            const stop = () => current.abort();
            closing.signal.addEventListener("abort", stop, { once: true });
            const { url, headers: own } = target(options, spec, args);
            const all = { ...common(options), ...own, accept: "text/event-stream" };
            if (lastEventId !== undefined)
                all["last-event-id"] = lastEventId;
            try {
                connections += 1;
                let response;
                try {
                    response = await (options.fetch ?? fetch)(url, init(options, spec, args, all, current.signal));
                }
                catch {
                    if (closing.signal.aborted)
                        return;
                    extra?.onReconnecting?.();
                    // A network failure waits for the retry; a reconnect() asked for goes at once.
                    if (!current.signal.aborted)
                        await wait(retry, closing.signal);
                    continue;
                }
                if (response.status === 204)
                    return;
                if (response.status !== 200 || response.body === null)
                    throw new StreamError(response.status, await decode(response));
                const { createParser } = await eventsourceParser();
                extra?.onOpen?.();
                const queue = [];
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
                        if (chunk === undefined || chunk.done)
                            break;
                        parser.feed(chunk.value);
                        while (queue.length > 0) {
                            const raw = queue.shift();
                            if (raw.id !== undefined)
                                lastEventId = raw.id;
                            const event = typed(spec, raw);
                            if (event === undefined)
                                continue;
                            const { end, ...rest } = event;
                            yield rest;
                            if (end)
                                return;
                        }
                    }
                }
                finally {
                    reader.cancel().catch(() => undefined);
                }
                if (closing.signal.aborted)
                    return;
                extra?.onReconnecting?.();
                if (current.signal.aborted)
                    continue;
                await wait(retry, closing.signal);
            }
            finally {
                closing.signal.removeEventListener("abort", stop);
                current.abort();
            }
        }
    }
    async function* overEventSource() {
        const { url } = target(options, spec, args);
        const source = new EventSource(url, { withCredentials: (options.credentials ?? "include") !== "omit" });
        connections += 1;
        const queue = [];
        const wake = () => {
            const next = again;
            again = undefined;
            next?.();
        };
        const listen = (name) => source.addEventListener(name, (message) => {
            if (message.lastEventId !== "")
                lastEventId = message.lastEventId;
            try {
                const event = typed(spec, { event: name, data: String(message.data), id: message.lastEventId });
                if (event === undefined)
                    return;
                const { end, ...rest } = event;
                queue.push(rest);
                if (end) {
                    source.close();
                    queue.push("end");
                }
            }
            catch (error) {
                queue.push({ error });
            }
            wake();
        });
        for (const name of Object.keys(spec.events))
            listen(name);
        if (spec.untyped && !("message" in spec.events))
            listen("message");
        // The browser reconnects by itself (with Last-Event-ID, after the server's retry:); it
        // gives up on a 204 or a refusal, which ends the subscription.
        source.addEventListener("open", () => extra?.onOpen?.());
        source.addEventListener("error", () => {
            if (source.readyState === EventSource.CLOSED) {
                queue.push("end");
                wake();
            }
            else {
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
                while (queue.length === 0)
                    await new Promise((resolve) => (again = resolve));
                const next = queue.shift();
                if (next === "end")
                    return;
                if (typeof next === "object" && next !== null && "error" in next && Object.keys(next).length === 1)
                    throw next.error;
                yield next;
            }
        }
        finally {
            closing.signal.removeEventListener("abort", stop);
            source.close();
        }
    }
    let reconnecting = false;
    const subscription = {
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
        async on(handlers) {
            const byName = handlers;
            for await (const event of subscription)
                byName[event.event]?.(event.data, event);
        },
        [Symbol.asyncIterator]() {
            // A reconnect asked of an EventSource subscription goes on over fetch, which can send
            // the last id (an EventSource cannot be opened with one).
            if (eventSource && !reconnecting) {
                const first = overEventSource();
                let switched;
                return {
                    async next() {
                        if (switched)
                            return switched.next();
                        const step = await first.next();
                        if (step.done && reconnecting && !closing.signal.aborted) {
                            extra?.onReconnecting?.();
                            switched = overFetch();
                            return switched.next();
                        }
                        return step;
                    },
                    async return() {
                        closing.abort();
                        await first.return(undefined);
                        if (switched)
                            await switched.return(undefined);
                        return { done: true, value: undefined };
                    },
                };
            }
            const generator = overFetch();
            return {
                next: () => generator.next(),
                async return() {
                    closing.abort();
                    return generator.return(undefined);
                },
            };
        },
    };
    return subscription;
}
/** The app's routes, one method each. */
export class ApiClient {
    options;
    constructor(options = {}) {
        this.options = options;
    }
    /**
     * index
     *
     * `GET /`
     */
    appIndex(options) {
        return request(this.options, { "method": "GET", "params": [], "path": "/" }, {}, options);
    }
    /**
     * page
     *
     * `GET /assistant`
     */
    assistantPage(options) {
        return request(this.options, { "method": "GET", "params": [], "path": "/assistant" }, {}, options);
    }
    /**
     * ask
     *
     * `POST /assistant/answers`
     */
    assistantAsk(args, options) {
        return request(this.options, { "body": "application/json", "method": "POST", "params": [], "path": "/assistant/answers" }, args, options);
    }
    /**
     * status
     *
     * `GET /assistant/answers/{id}`
     */
    assistantStatus(args, options) {
        return request(this.options, { "method": "GET", "params": [{ "in": "path", "key": "id", "name": "id" }], "path": "/assistant/answers/{id}" }, args, options);
    }
    /**
     * cancel
     *
     * `POST /assistant/answers/{id}/cancel`
     */
    assistantCancel(args, options) {
        return request(this.options, { "method": "POST", "params": [{ "in": "path", "key": "id", "name": "id" }], "path": "/assistant/answers/{id}/cancel" }, args, options);
    }
    /**
     * events
     *
     * `GET /assistant/answers/{id}/events`
     */
    assistantEvents(args, options) {
        return subscribe(this.options, { "events": {}, "method": "GET", "params": [{ "in": "path", "key": "id", "name": "id" }], "path": "/assistant/answers/{id}/events", "untyped": true }, args, options);
    }
    /**
     * chat
     *
     * `GET /chat`
     */
    pagesChat(options) {
        return request(this.options, { "method": "GET", "params": [], "path": "/chat" }, {}, options);
    }
    /**
     * events
     *
     * `GET /chat/events`
     */
    chatEvents(args = {}, options) {
        return subscribe(this.options, { "events": { "join": { "end": false, "json": true }, "leave": { "end": false, "json": true }, "message": { "end": false, "json": true }, "missed": { "end": false, "json": true } }, "method": "GET", "params": [{ "in": "query", "key": "after", "name": "after" }, { "in": "query", "key": "presence", "name": "presence" }], "path": "/chat/events", "untyped": false }, args, options);
    }
    /**
     * post
     *
     * `POST /chat/messages`
     */
    chatPost(args, options) {
        return request(this.options, { "body": "application/json", "method": "POST", "params": [], "path": "/chat/messages" }, args, options);
    }
    /**
     * online
     *
     * `GET /chat/online`
     */
    chatOnline(options) {
        return request(this.options, { "method": "GET", "params": [], "path": "/chat/online" }, {}, options);
    }
    /**
     * client
     *
     * `GET /client.js`
     */
    pagesClient(options) {
        return request(this.options, { "method": "GET", "params": [], "path": "/client.js" }, {}, options);
    }
    /**
     * dashboard
     *
     * `GET /dashboard`
     */
    pagesDashboard(options) {
        return request(this.options, { "method": "GET", "params": [], "path": "/dashboard" }, {}, options);
    }
    /**
     * figures
     *
     * `GET /dashboard/figures`
     */
    dashboardFigures(options) {
        return subscribe(this.options, { "events": { "message": { "end": false, "json": true } }, "method": "GET", "params": [], "path": "/dashboard/figures", "untyped": false }, {}, options);
    }
    /**
     * jobs
     *
     * `GET /jobs`
     */
    pagesJobs(options) {
        return request(this.options, { "method": "GET", "params": [], "path": "/jobs" }, {}, options);
    }
    /**
     * list
     *
     * `GET /jobs/list`
     */
    jobsList(options) {
        return request(this.options, { "method": "GET", "params": [], "path": "/jobs/list" }, {}, options);
    }
    /**
     * progress
     *
     * `GET /jobs/{name}/progress`
     */
    jobsProgress(args, options) {
        return subscribe(this.options, { "events": { "message": { "end": false, "json": true } }, "method": "GET", "params": [{ "in": "path", "key": "name", "name": "name" }, { "in": "query", "key": "every", "name": "every" }], "path": "/jobs/{name}/progress", "untyped": false }, args, options);
    }
    /**
     * login
     *
     * `GET /login`
     */
    pagesLogin(options) {
        return request(this.options, { "method": "GET", "params": [], "path": "/login" }, {}, options);
    }
    /**
     * login
     *
     * `POST /login`
     */
    authLogin(args, options) {
        return request(this.options, { "body": "application/json", "method": "POST", "params": [], "path": "/login" }, args, options);
    }
    /**
     * logout
     *
     * `POST /logout`
     */
    authLogout(args = {}, options) {
        return request(this.options, { "method": "POST", "params": [{ "in": "cookie", "key": "session", "name": "session" }], "path": "/logout" }, args, options);
    }
    /**
     * events
     *
     * `GET /notifications/events`
     */
    notificationsEvents(options) {
        return subscribe(this.options, { "events": { "mention": { "end": false, "json": true }, "missed": { "end": false, "json": true } }, "method": "GET", "params": [], "path": "/notifications/events", "untyped": false }, {}, options);
    }
    /**
     * sse
     *
     * `GET /sse`
     */
    appSse(options) {
        return subscribe(this.options, { "events": { "message": { "end": false, "json": true } }, "method": "GET", "params": [], "path": "/sse", "untyped": false }, {}, options);
    }
    /**
     * style
     *
     * `GET /style.css`
     */
    pagesStyle(options) {
        return request(this.options, { "method": "GET", "params": [], "path": "/style.css" }, {}, options);
    }
    /**
     * vectors
     *
     * `GET /vectors`
     */
    vectorsVectors(options) {
        return subscribe(this.options, { "events": {}, "method": "GET", "params": [], "path": "/vectors", "untyped": true }, {}, options);
    }
}
