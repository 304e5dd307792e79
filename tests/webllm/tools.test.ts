/**
 * Contract tests: tools on a web-llm model, end to end through the real Runtime (core's
 * tool prompt, grammar and parser) and web-llm's real MLCEngine with the scripted pipeline
 * (./support/scripted-webllm.ts). They prove the mapping, not the engine.
 */
import { describe, expect, test } from 'vitest';
import { PEAK, type WebLLMScript } from './support/scripted-webllm.js';
import { contentOf, setup, signal, streamChat } from './support/setup.js';
import { loadXGrammar } from './support/xgrammar.js';

const WEATHER = {
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'Weather for a city',
    parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false },
  },
};
const CALL = '<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris"}}\n</tool_call>';
const ASK = [{ role: 'user', content: 'Weather in Paris?' }];

async function coreHasTools(ctx: { skip: (note?: string) => never }): Promise<void> {
  const mod = (await import('../../src/core/grammar/xgrammar.js').catch(() => null)) as { setXGrammarLoader?: (l: () => Promise<unknown>) => void } | null;
  if (!mod?.setXGrammarLoader) ctx.skip('core has no tool support (src/core/tools, src/core/grammar) yet');
  mod!.setXGrammarLoader!(loadXGrammar);
}

describe('tools', () => {
  test("web-llm's templates take no tool definitions: core's default tool prompt goes into the system message, and the call is parsed", async (ctx) => {
    await coreHasTools(ctx);
    const { runtime, web } = setup({ m: { reply: CALL } });
    const completion = await runtime.createChatCompletion({ model: 'm', messages: ASK, tools: [WEATHER] }, signal());
    const message = completion.choices[0]!.message;
    expect(completion.choices[0]!.finish_reason).toBe('tool_calls');
    expect(message.tool_calls).toEqual([
      { id: expect.stringMatching(/^call_/), type: 'function', function: { name: 'get_weather', arguments: '{"city": "Paris"}' } },
    ]);
    const request = web.callsOf('chatCompletion')[0]!.args[0] as { messages: Array<{ role: string; content: string }> };
    expect(request.messages[0]!.role).toBe('system');
    expect(request.messages[0]!.content).toContain('<tools>\n{"type":"function","function":{"name":"get_weather"');
    // web-llm's own (Hermes-only) tools field is never used.
    expect(request).not.toHaveProperty('tools');
    expect(completion.usage.prompt_tokens).toBe(web.pipelines[0]!.prefills[0]!.tokens.length);
  });

  test('streamed, the call arrives as tool_calls deltas, never as raw markup', async (ctx) => {
    await coreHasTools(ctx);
    const { runtime } = setup({ m: { reply: CALL } });
    const chunks = await streamChat(runtime, { model: 'm', messages: ASK, tools: [WEATHER] });
    expect(contentOf(chunks)).not.toContain('<tool_call>');
    const args = chunks.flatMap((c) => c.choices[0]?.delta.tool_calls ?? []).map((t) => t.function?.arguments ?? '').join('');
    expect(JSON.parse(args)).toEqual({ city: 'Paris' });
    expect(chunks.at(-1)!.choices[0]!.finish_reason).toBe('tool_calls');
  });

  test("tool_choice 'required' is enforced by web-llm's grammar even on a model that would rather chat", async (ctx) => {
    await coreHasTools(ctx);
    // Wants to say "Sure!"; second choice: the call with Paris.
    const chatty: WebLLMScript = {
      logits: (g) => {
        const out: Record<string, number> = {};
        for (const [text, score] of [['Sure!', PEAK + 5], [CALL, PEAK]] as const) {
          if (text.startsWith(g) && g.length < text.length) out[text[g.length]!] = Math.max(out[text[g.length]!] ?? -Infinity, score);
          if (g === text) out['<eos>'] = score;
        }
        return out;
      },
    };
    const { runtime, web } = setup({ m: chatty });
    const free = await runtime.createChatCompletion({ model: 'm', messages: ASK, temperature: 0 }, signal());
    expect(free.choices[0]!.message.content).toBe('Sure!');
    const forced = await runtime.createChatCompletion({ model: 'm', messages: ASK, tools: [WEATHER], tool_choice: 'required', temperature: 0 }, signal());
    expect(forced.choices[0]!.message.tool_calls?.[0]?.function).toEqual({ name: 'get_weather', arguments: '{"city": "Paris"}' });
    const format = (web.callsOf('chatCompletion')[1]!.args[0] as { response_format?: { type: string } }).response_format;
    expect(format).toBeDefined();
  });

  test('a tool result round-trips as the template\'s tool turn', async (ctx) => {
    await coreHasTools(ctx);
    const { runtime, web } = setup({ m: { reply: 'It is sunny.' } });
    const messages = [
      ...ASK,
      { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }] },
      { role: 'tool', tool_call_id: 'call_1', content: '{"sky":"clear"}' },
    ];
    const completion = await runtime.createChatCompletion({ model: 'm', messages, tools: [WEATHER] }, signal());
    expect(completion.choices[0]!.message.content).toBe('It is sunny.');
    const sent = (web.callsOf('chatCompletion')[0]!.args[0] as { messages: Array<{ role: string; content: string }> }).messages;
    expect(sent.map((m) => m.role)).toEqual(['system', 'user', 'assistant', 'user']);
    expect(sent[2]!.content).toContain('<tool_call>\n{"name":"get_weather","arguments":{"city":"Paris"}}\n</tool_call>');
    expect(sent[3]!.content).toBe('<tool_response>\n{"sky":"clear"}\n</tool_response>');
    expect(completion.usage.prompt_tokens).toBe(web.pipelines[0]!.prefills[0]!.tokens.length);
  });
});
