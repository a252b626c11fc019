// A job's progress through a relay that cuts the connection (tests/typescript_client.rs): after
// step 2 this prints `cut` and waits for a line on stdin, sent once the connection is cut; the
// client then opens another, sending the last id it saw, and the steps go on where they were.
import { ApiClient, type Step } from "./client.js";

declare const process: {
  env: Record<string, string | undefined>;
  exitCode?: number;
  stdin: { once(event: "data", listener: (chunk: unknown) => void): void };
};

const client = new ApiClient({
  baseUrl: process.env["BASE_URL"],
  headers: { cookie: process.env["COOKIE"] ?? "" },
});

async function main(): Promise<void> {
  const steps: [number, number | null][] = [];
  const subscription = client.jobsProgress({ name: "test", every: 100 });
  for await (const event of subscription) {
    const step: Step = event.data;
    steps.push([step.step, step.resumedAfter]);
    if (step.step === 2) {
      console.log("cut");
      await new Promise<void>((resolve) => process.stdin.once("data", () => resolve()));
    }
    if (step.step === 8) break;
  }
  console.log(JSON.stringify({ steps, connections: subscription.connections, lastEventId: subscription.lastEventId }));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
