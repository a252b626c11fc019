// Uses the small app's generated client (tests/typescript_client.rs) from Node: its types (the
// `@ts-expect-error` lines must be errors, or tsc fails), a GET route's answer and error as
// values, and a POST token stream read with a bearer token.
import { ApiClient, type Drawing, type DrawingsTokensEvent, type Shape, StreamError } from "./client.js";

declare const process: { env: Record<string, string | undefined>; exitCode?: number };

function check(condition: boolean, what: string): asserts condition {
  if (!condition) throw new Error(`failed: ${what}`);
}

// The types, checked by tsc: a tagged enum is a union told apart by its tag...
function area(shape: Shape): number {
  switch (shape.kind) {
    case "circle":
      return Math.PI * shape.radius * shape.radius;
    case "square":
      return shape.side * shape.side;
  }
}
// @ts-expect-error: a shape has one of the kinds the enum has.
const triangle: Shape = { kind: "triangle", side: 1 };
// @ts-expect-error: an id is a number.
const wrongId: Drawing = { id: "1", shapes: [], tags: {}, corner: ["a", 1] };
// @ts-expect-error: a token's data is a string.
const wrongToken: DrawingsTokensEvent = { event: "token", data: 1 };
void [triangle, wrongId, wrongToken];

const base = process.env["BASE_URL"];
const client = new ApiClient({ baseUrl: base, bearer: "s3cret" });

async function main(): Promise<void> {
  const drawing = await client.drawingsOne({ id: 7, zoom: 2 });
  check(drawing.ok, `a drawing: ${JSON.stringify(drawing)}`);
  check(drawing.value.tags["zoom"] === 2, "the zoom came through the query");
  check(drawing.value.corner[1] === -3, "a tuple is a tuple");
  check(area(drawing.value.shapes[1]) === 4, "a square's area");
  const missing = await client.drawingsOne({ id: 0 });
  check(!missing.ok, "drawing 0 is missing");

  const finite: string[] = [];
  const tokens = client.drawingsTokens({ body: { text: "hi", count: 3 } });
  for await (const event of tokens) {
    if (event.event === "token") {
      const token: string = event.data;
      finite.push(`token:${token}`);
    } else {
      finite.push(`done:${JSON.stringify(event.data)}`);
    }
  }

  // The same stream, one handler per event name.
  const handled: string[] = [];
  await client.drawingsTokens({ body: { text: "yo", count: 2 } }).on({
    token: (data) => handled.push(`token:${data}`),
    done: (data) => handled.push(`done:${JSON.stringify(data)}`),
  });
  // @ts-expect-error: a token's data is a string, not a number.
  void client.drawingsTokens({ body: { text: "", count: 1 } }).on({ token: (data: number) => data });
  // @ts-expect-error: the stream sends no `tokn` event.
  void client.drawingsTokens({ body: { text: "", count: 1 } }).on({ tokn: () => undefined });

  const endless: string[] = [];
  const forever = client.drawingsTokens({ body: { text: "x", count: 0 } });
  for await (const event of forever) {
    if (event.event === "token") endless.push(event.data);
    if (endless.length === 3) break;
  }

  let refusedWith = 0;
  try {
    for await (const _ of new ApiClient({ baseUrl: base }).drawingsTokens({ body: { text: "no", count: 1 } })) {
      break;
    }
  } catch (error) {
    check(error instanceof StreamError, `a refusal is a StreamError: ${String(error)}`);
    refusedWith = error.status;
  }

  console.log(
    JSON.stringify({
      kinds: drawing.value.shapes.map((s) => s.kind),
      missing: missing.status,
      finite,
      finiteConnections: tokens.connections,
      handled,
      endless,
      endlessConnections: forever.connections,
      refusedWith,
    }),
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
