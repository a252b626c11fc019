// The official AI clients reading nestish's dialects (tests/wire/dialects.rs):
//   node ai-dialects.mjs openai BASE_URL   the `openai` client's chat.completions.create({stream: true})
//                                         against BASE_URL (it POSTs BASE_URL/chat/completions)
//   node ai-dialects.mjs ui URL           the `ai` package's reader of UI message streams
//                                         (parseJsonEventStream with uiMessageChunkSchema, then
//                                         readUIMessageStream, as useChat's transport does) on GET URL
// Prints one JSON line of what the client made of the stream; exits non-zero when the client
// rejects it.
import OpenAI from 'openai';
import { parseJsonEventStream, readUIMessageStream, uiMessageChunkSchema } from 'ai';

const [mode, url] = process.argv.slice(2);

if (mode === 'openai') {
  const client = new OpenAI({ baseURL: url, apiKey: 'not-used', maxRetries: 0 });
  const stream = await client.chat.completions.create({
    model: 'fake-1',
    messages: [{ role: 'user', content: 'say something' }],
    stream: true,
  });
  const report = { ids: [], models: [], roles: [], content: '', deltas: 0, finishReasons: [] };
  for await (const chunk of stream) {
    report.ids.push(chunk.id);
    report.models.push(chunk.model);
    const [choice] = chunk.choices;
    if (choice.delta.role) report.roles.push(choice.delta.role);
    if (choice.delta.content) {
      report.content += choice.delta.content;
      report.deltas += 1;
    }
    if (choice.finish_reason) report.finishReasons.push(choice.finish_reason);
  }
  console.log(JSON.stringify(report));
} else if (mode === 'ui') {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  const chunks = parseJsonEventStream({ stream: response.body, schema: uiMessageChunkSchema })
    .pipeThrough(new TransformStream({
      transform(parsed, controller) {
        if (!parsed.success) throw parsed.error;
        controller.enqueue(parsed.value);
      },
    }));
  let message = null;
  for await (const state of readUIMessageStream({ stream: chunks, terminateOnError: true })) {
    message = state;
  }
  console.log(JSON.stringify({
    header: response.headers.get('x-vercel-ai-ui-message-stream'),
    message,
  }));
} else {
  console.error(`unknown mode ${mode}: openai or ui`);
  process.exit(2);
}
