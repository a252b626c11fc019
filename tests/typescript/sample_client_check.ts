// Uses the sample's generated client (./client.ts, written by nestish_core::openapi::typescript)
// against the running sample, from Node: tests/typescript_client.rs compiles both with
// `tsc --strict` and runs this, then reads the summary it prints as JSON.
import { ApiClient, type JobsProgressEvent, type Step, StreamError } from "./client.js";

// Node's globals, without @types/node.
declare const process: { env: Record<string, string | undefined>; exitCode?: number };

function check(condition: boolean, what: string): asserts condition {
  if (!condition) throw new Error(`failed: ${what}`);
}

const client = new ApiClient({
  baseUrl: process.env["BASE_URL"],
  headers: { cookie: process.env["COOKIE"] ?? "" },
});

async function chat(): Promise<unknown> {
  const text = `typed hello ${Date.now()}`;
  const posted = await client.chatPost({ body: { text } });
  check(posted.ok, `the message is posted: ${JSON.stringify(posted)}`);
  // A refusal is a value with the error body's type, not an exception.
  const refused = await client.chatPost({ body: { text: "   " } });
  check(!refused.ok && refused.status === 400, `a blank message is refused: ${JSON.stringify(refused)}`);
  const error = refused.error;
  check("statusCode" in error && error.statusCode === 400, "the refusal's body is NestJS's");
  // The whole history, then live: our message is in it.
  const subscription = client.chatEvents({ after: 0 });
  for await (const event of subscription) {
    const data: unknown = event.data;
    const message = (typeof data === "string" ? JSON.parse(data) : data) as { text?: string };
    if (message.text === text) {
      subscription.close();
      return { event: event.event, id: event.id, message, refusal: error };
    }
  }
  throw new Error("the chat's stream ended before the message came");
}

async function job(): Promise<unknown> {
  // The connection hooks a page shows its state with: each open, each connection lost.
  const hooks = { opened: 0, reconnecting: 0 };
  const subscription = client.jobsProgress(
    { name: "build", every: 10 },
    { onOpen: () => (hooks.opened += 1), onReconnecting: () => (hooks.reconnecting += 1) },
  );
  const steps: Step[] = [];
  const reconnectAfter = new Map<number, number>();
  let reconnected = false;
  let last = Date.now();
  for await (const event of subscription) {
    const typed: JobsProgressEvent = event;
    check(typed.event === "message", "a step is a `message` event");
    check(typed.id === String(typed.data.step), "its id is its step");
    const now = Date.now();
    if (typed.data.resumedAfter !== null && steps.length > 0 && steps[steps.length - 1].resumedAfter !== typed.data.resumedAfter) {
      reconnectAfter.set(typed.data.step, now - last);
    }
    last = now;
    steps.push(typed.data);
    if (typed.data.step === 2 && !reconnected) {
      // A forced reconnect: the next connection carries Last-Event-ID 2.
      reconnected = true;
      subscription.reconnect();
    }
  }
  // The 204 after the last step ended it: not reopened.
  return {
    steps: steps.map((s) => [s.step, s.resumedAfter]),
    connections: subscription.connections,
    lastEventId: subscription.lastEventId,
    waitedMs: Object.fromEntries(reconnectAfter),
    hooks,
  };
}

async function assistant(): Promise<unknown> {
  const asked = await client.assistantAsk({ body: { tokens: 500, every_ms: 20 } });
  check(asked.ok, `an answer starts: ${JSON.stringify(asked)}`);
  const id: string = asked.value;
  const tokens: string[] = [];
  const subscription = client.assistantEvents({ id });
  for await (const event of subscription) {
    tokens.push(event.data);
    if (tokens.length === 3) break;
  }
  const cancelled = await client.assistantCancel({ id });
  check(cancelled.ok && cancelled.status === 204, `the answer is cancelled: ${JSON.stringify(cancelled)}`);
  const status = await client.assistantStatus({ id });
  check(status.ok, "its status is read");
  // A stream the server refuses is thrown as a StreamError with its status.
  let refusedWith = 0;
  try {
    for await (const _ of client.assistantEvents({ id: "no-such-answer" })) {
      break;
    }
  } catch (error) {
    check(error instanceof StreamError, `a refusal is a StreamError: ${String(error)}`);
    refusedWith = error.status;
  }
  return { tokens, connections: subscription.connections, status: status.value, refusedWith };
}

async function main(): Promise<void> {
  const summary = { chat: await chat(), job: await job(), assistant: await assistant() };
  console.log(JSON.stringify(summary));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
