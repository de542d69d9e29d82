// bench/chat_load.py's anchor for the seed's stack: a Node HTTP server relaying Claude through
// the official @anthropic-ai/sdk the way the seed's route (src/app/api/chat/route.ts) did:
// `messages.stream()` iterated into a web ReadableStream, one SSE event per text delta, sent
// as a web Response body. Plain node:http instead of Next.js (so Next's own cost is left out);
// no database, no retrieval: what it costs is the relay itself.
//   PORT=8001 ANTHROPIC_BASE_URL=http://127.0.0.1:9000 node relay.js
"use strict";

const http = require("node:http");
const { Readable } = require("node:stream");
const Anthropic = require("@anthropic-ai/sdk");

const anthropic = new Anthropic({
  apiKey: process.env.ANTHROPIC_API_KEY || "sk-ant-bench",
  baseURL: process.env.ANTHROPIC_BASE_URL,
  maxRetries: 0,
});

function chat(message, signal) {
  return new ReadableStream({
    async start(controller) {
      const encoder = new TextEncoder();
      let fullResponse = "";
      try {
        const response = anthropic.messages.stream(
          {
            model: "claude-bench",
            max_tokens: 800,
            messages: [{ role: "user", content: message }],
            system: [{ type: "text", text: "bench", cache_control: { type: "ephemeral" } }],
          },
          { signal },
        );
        for await (const chunk of response) {
          if (chunk.type === "content_block_delta" && chunk.delta.type === "text_delta") {
            fullResponse += chunk.delta.text;
            const data = JSON.stringify({ type: "content", content: chunk.delta.text });
            controller.enqueue(encoder.encode(`data: ${data}\n\n`));
          }
        }
        const data = JSON.stringify({ type: "done", fullContent: fullResponse, provider: "node" });
        controller.enqueue(encoder.encode(`data: ${data}\n\n`));
      } catch (error) {
        const data = JSON.stringify({ type: "error", error: String(error && error.message) });
        controller.enqueue(encoder.encode(`data: ${data}\n\n`));
      } finally {
        controller.close();
      }
    },
  });
}

// NODE_RELAY_STYLE=lean: the leanest Node relay instead, `messages.create({stream: true})`
// written straight to the socket (for the record: what the seed's pattern itself costs).
async function lean(message, response) {
  response.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
  const stream = await anthropic.messages.create({
    model: "claude-bench",
    max_tokens: 800,
    messages: [{ role: "user", content: message }],
    system: [{ type: "text", text: "bench", cache_control: { type: "ephemeral" } }],
    stream: true,
  });
  response.on("close", () => stream.controller.abort());
  const parts = [];
  for await (const event of stream) {
    if (event.type === "content_block_delta" && event.delta.type === "text_delta") {
      parts.push(event.delta.text);
      response.write(`data: ${JSON.stringify({ type: "content", content: event.delta.text })}\n\n`);
    }
  }
  const done = { type: "done", fullContent: parts.join(""), provider: "node-lean" };
  response.end(`data: ${JSON.stringify(done)}\n\n`);
}

const LEAN = process.env.NODE_RELAY_STYLE === "lean";

const server = http.createServer(async (request, response) => {
  const chunks = [];
  for await (const chunk of request) chunks.push(chunk);
  const { message } = JSON.parse(Buffer.concat(chunks).toString() || "{}");
  if (LEAN) {
    lean(message || "", response).catch(() => response.destroy());
    return;
  }
  const aborted = new AbortController();
  response.on("close", () => aborted.abort());
  const body = new Response(chat(message || "", aborted.signal), {
    headers: {
      "Content-Type": "text/event-stream",
      "Cache-Control": "no-cache",
      Connection: "keep-alive",
    },
  });
  response.writeHead(body.status, Object.fromEntries(body.headers));
  Readable.fromWeb(body.body).pipe(response);
});
server.keepAliveTimeout = 5000;
server.listen(Number(process.env.PORT || 8001), "127.0.0.1", 4096);
