import { readFileSync } from 'node:fs';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { baseURL, launch } from './support/browser.js';

/**
 * The playground, driven as a user would, on the tiny models on WASM: the root URL opens
 * it and it serves /v1; the conversation (system prompt, edits, hand-written turns,
 * regenerate, delete, reload, export/import); logprobs; the schema editor; tools;
 * compare; the code view (Run, Copy, and the copied snippet run in a page of its own:
 * the unmodified openai SDK through /v1); attachments; reasoning folded (a real Qwen3
 * fixture made to think with logit_bias); registering a model. The tiny
 * models' known sentences make the assertions exact; token counts are checked against
 * what /v1 itself counts for the same messages.
 */

const SENTENCE = 'Hello! I am a tiny model running in your browser.';
const SHOTS = process.env.PLAYGROUND_SHOTS; // a folder: desktop and phone screenshots go there

let browser: Browser;
let context: BrowserContext;
let page: Page;
/** Console errors, page errors and failed requests (a 404 favicon counts) of every page. */
const problems: string[] = [];

function watch(p: Page): Page {
  p.on('pageerror', (e) => problems.push(`pageerror: ${e}`));
  p.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console: ${m.text()}`);
    if (process.env.DEBUG) console.log(`[page ${m.type()}] ${m.text()}`);
  });
  p.on('response', (r) => { if (r.status() >= 400) problems.push(`${r.status()} ${r.url()}`); });
  return p;
}

async function newPage(path: string): Promise<Page> {
  const p = watch(await context.newPage());
  await p.goto(baseURL() + path);
  return p;
}

async function loadModel(id: string): Promise<void> {
  await page.waitForSelector('#load:not([disabled])');
  await page.selectOption('#model', id);
  await page.selectOption('#device', 'wasm');
  await page.click('#load');
  await page.waitForFunction((m) => document.getElementById('status')!.textContent!.startsWith(`Ready: ${m} on wasm`), id, { timeout: 30_000 });
}

/**
 * Registers a model folder through the page's form (`idField` '' = the id defaults to the
 * folder's name) and waits for this registration's own status: an earlier test's
 * "Registered …" may still be on screen.
 */
async function registerByUrl(source: string, id: string, idField = id): Promise<void> {
  await page.click('#register summary');
  await page.fill('#register-source', source);
  await page.fill('#register-id', idField);
  await page.click('#register-submit');
  await page.waitForFunction((want) => document.getElementById('register-status')!.textContent!.startsWith(`Registered ${want}:`), id);
}

/** Waits until nothing is generating and `count` assistant turns are in the conversation. */
async function assistantTurns(count: number): Promise<Array<{ text: string; figures: string }>> {
  await page.waitForFunction((n) => !document.querySelector('.streaming') && (document.getElementById('stop') as HTMLButtonElement).disabled
    && document.querySelectorAll('#messages .turn.assistant').length === n, count, { timeout: 30_000 });
  return page.$$eval('#messages .turn.assistant', (els) => els.map((e) => ({
    text: e.querySelector('textarea')!.value,
    figures: e.querySelector('.figures-text')?.textContent ?? '',
  })));
}

const promptTokensOf = (figures: string) => Number(/(\d+) prompt/.exec(figures)?.[1]);

/** A chat completion through the gateway's /v1, from the page. */
function v1Chat(body: Record<string, unknown>): Promise<any> {
  return page.evaluate(async (b) => {
    const r = await fetch('/v1/chat/completions', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(b) });
    return r.json();
  }, body);
}

/** What /v1 counts as the prompt of `messages` (a one-token request through the gateway). */
async function apiPromptTokens(messages: unknown[]): Promise<number> {
  return (await v1Chat({ model: 'tiny-chat', messages, max_tokens: 1 })).usage.prompt_tokens;
}

async function send(text: string): Promise<void> {
  await page.fill('#prompt', text);
  await page.click('#send');
}

beforeAll(async () => {
  browser = await launch();
  context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: baseURL() });
  page = await newPage('/');
});
afterAll(async () => { await browser?.close(); });

describe('the playground', () => {
  test('the root URL opens it; it registers the gateway and shows /v1; loads with bytes, speed, adapter and device', async () => {
    expect(new URL(page.url()).pathname).toBe('/demo/');
    await page.waitForFunction(() => document.getElementById('gateway-url')!.dataset.kind === 'ready', null, { timeout: 20_000 });
    expect(await page.textContent('#gateway-url')).toBe(`${baseURL()}/v1`);
    await loadModel('tiny-chat');
    expect(await page.textContent('#load-figures')).toMatch(/^\d+ KB in \d+\.\d s · \d+ (KB|MB)\/s$/);
    expect(await page.textContent('#runtime-info')).toBe('tiny-chat · transformers · wasm (WASM on the CPU)');
    // /v1 answers while the playground is open.
    const models = await page.evaluate(async () => (await (await fetch('/v1/models')).json()).data.map((m: { id: string }) => m.id));
    expect(models).toContain('tiny-chat');
  });

  test('a system prompt changes the prompt token count, exactly as /v1 counts it', async () => {
    await send('Hi');
    const [plain] = await assistantTurns(1);
    expect(plain!.text).toBe(SENTENCE);
    expect(plain!.figures).toMatch(/^TTFT \d+ ms · [\d.]+ tok\/s( \(whole request: one batch\))? · \d+ prompt \+ 13 completion tokens · finish: stop$/);
    expect(promptTokensOf(plain!.figures)).toBe(await apiPromptTokens([{ role: 'user', content: 'Hi' }]));

    await page.click('#clear');
    await page.fill('#system', 'You are terse.');
    await send('Hi');
    const [withSystem] = await assistantTurns(1);
    expect(withSystem!.text).toBe(SENTENCE);
    const expected = await apiPromptTokens([{ role: 'system', content: 'You are terse.' }, { role: 'user', content: 'Hi' }]);
    expect(promptTokensOf(withSystem!.figures)).toBe(expected);
    expect(expected).toBeGreaterThan(promptTokensOf(plain!.figures));
    // The chart of tokens over time: the 12 that carry text (the 13th is the end of sequence).
    expect(await page.getAttribute('#messages .turn.assistant svg.chart', 'aria-label')).toMatch(/^12 tokens over \d+ ms$/);
  });

  test('an edited assistant turn is sent as edited; turns added by hand, role changes, delete and regenerate', async () => {
    await page.fill('#messages .turn.assistant textarea', 'Edited by hand.');
    await send('Again');
    const turns = await assistantTurns(2);
    const sent = [{ role: 'system', content: 'You are terse.' }, { role: 'user', content: 'Hi' }, { role: 'assistant', content: 'Edited by hand.' }, { role: 'user', content: 'Again' }];
    const asEdited = await apiPromptTokens(sent);
    const unedited = await apiPromptTokens(sent.map((m) => (m.content === 'Edited by hand.' ? { ...m, content: SENTENCE } : m)));
    expect(promptTokensOf(turns[1]!.figures)).toBe(asEdited);
    expect(asEdited).not.toBe(unedited);

    // An assistant turn written by hand, then a user turn whose role is changed.
    await page.fill('#prompt', 'Written by hand.');
    await page.selectOption('#add-role', 'assistant');
    await page.click('#add');
    await page.fill('#prompt', 'Not a user.');
    await page.selectOption('#add-role', 'user');
    await page.click('#add');
    await page.selectOption('#messages .turn:last-child select.role', 'assistant');
    const roles = () => page.$$eval('#messages .turn', (els) => els.map((e) => `${(e.querySelector('select.role') as HTMLSelectElement).value}: ${e.querySelector('textarea')!.value}`));
    expect(await roles()).toEqual(['user: Hi', 'assistant: Edited by hand.', 'user: Again', `assistant: ${SENTENCE}`, 'assistant: Written by hand.', 'assistant: Not a user.']);
    await page.click('#messages .turn:last-child button.delete');
    await page.click('#messages .turn:last-child button.delete');
    // Regenerate the second answer: the turns after it go, a new answer comes.
    await page.click('#messages .turn:nth-child(4) button.regenerate');
    await assistantTurns(2);
    expect(await roles()).toEqual(['user: Hi', 'assistant: Edited by hand.', 'user: Again', `assistant: ${SENTENCE}`]);
  });

  test('reload keeps the conversation; export and import it as OpenAI messages JSON', async () => {
    const before = await page.$$eval('#messages .turn textarea', (els) => els.map((e) => (e as HTMLTextAreaElement).value));
    await page.reload();
    await page.waitForSelector('#load:not([disabled])');
    expect(await page.$$eval('#messages .turn textarea', (els) => els.map((e) => (e as HTMLTextAreaElement).value))).toEqual(before);
    expect(await page.inputValue('#system')).toBe('You are terse.');

    const download = page.waitForEvent('download');
    await page.click('#export');
    const file = await (await download).path();
    const messages = JSON.parse(readFileSync(file, 'utf8'));
    expect(messages).toEqual([
      { role: 'system', content: 'You are terse.' },
      { role: 'user', content: 'Hi' },
      { role: 'assistant', content: 'Edited by hand.' },
      { role: 'user', content: 'Again' },
      { role: 'assistant', content: SENTENCE },
    ]);
    await page.click('#clear');
    await page.fill('#system', '');
    expect(await page.$$('#messages .turn')).toHaveLength(0);
    await page.setInputFiles('#import-file', { name: 'messages.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(messages.slice(0, 2))) });
    await page.waitForFunction(() => document.querySelectorAll('#messages .turn').length === 1);
    expect(await page.inputValue('#system')).toBe('You are terse.');
    expect(await page.inputValue('#messages .turn textarea')).toBe('Hi');
    await loadModel('tiny-chat');
  });

  test('logprobs: one token per span, its logprob on hover; n = 2 and a stop string', async () => {
    await page.check('#logprobs-a');
    await page.fill('#top-logprobs-a', '2');
    await page.click('#generate');
    await assistantTurns(1);
    const tokens = await page.$$eval('#messages .turn.assistant .token', (els) => els.map((e) => ({ text: e.textContent, title: (e as HTMLElement).title })));
    expect(tokens).toHaveLength(12);
    expect(tokens.map((t) => t.text).join('')).toBe(SENTENCE);
    for (const t of tokens) expect(t.title).toMatch(/^".*": logprob -?\d+\.\d{3} \(p \d+\.\d%\); top: ".*" -?\d+\.\d{3}, ".*" -?\d+\.\d{3}$/);
    await page.uncheck('#logprobs-a');

    // n = 2 and a stop string: both choices cut before "tiny"; the second shown under the first.
    await page.click('#messages .turn.assistant button.delete');
    await page.fill('#n-a', '2');
    await page.fill('#stop-a', 'tiny');
    await page.click('#generate');
    const [cut] = await assistantTurns(1);
    expect(cut!.text).toBe('Hello! I am a ');
    expect(cut!.figures).toMatch(/ · finish: stop$/);
    expect(await page.textContent('#messages .turn.assistant .alternative')).toBe('Choice 1: Hello! I am a ');
    await page.fill('#n-a', '');
    await page.fill('#stop-a', '');
  });

  test('the JSON-schema editor validates as you type; a valid schema shapes the answer', async () => {
    await page.click('#messages .turn.assistant button.delete');
    await page.selectOption('#response-format-a', 'json_schema');
    const status = () => page.textContent('#schema-a-status');
    await page.fill('#schema-a', '{"type": "object",');
    expect(await status()).toMatch(/^Invalid JSON: /);
    expect(await page.getAttribute('#schema-a', 'aria-invalid')).toBe('true');
    await page.click('#generate');
    expect(await page.textContent('#chat-status')).toMatch(/^Settings A: JSON schema: Invalid JSON/);
    await page.fill('#schema-a', '{"type": "nope"}');
    expect(await status()).toMatch(/^Not a JSON Schema: /);
    await page.fill('#schema-a', '{"type": "object", "properties": {"word": {"enum": ["yes", "no"]}}, "required": ["word"], "additionalProperties": false}');
    expect(await status()).toBe('Valid');
    expect(await page.getAttribute('#schema-a', 'aria-invalid')).toBe('false');
    await page.click('#generate');
    const [answer] = await assistantTurns(1);
    expect(['yes', 'no']).toContain(JSON.parse(answer!.text.trim()).word);
    await page.selectOption('#response-format-a', 'text');
  });

  test('tools: the call is rendered, answered, and the answer goes on', async () => {
    await page.click('#messages .turn.assistant button.delete');
    await page.check('#use-tools-a');
    await page.selectOption('#tool-choice-a', 'required');
    // Sampled: the greedy tiny model pads the arguments with much whitespace (valid JSON, but long).
    await page.fill('#temperature-a', '1');
    await page.fill('#seed-a', '5');
    await page.click('#generate');
    await assistantTurns(1);
    const call = /^get_weather\((.*)\)$/s.exec((await page.textContent('#messages .turn.assistant .tool-call code'))!);
    expect(['Paris', 'Tokyo', 'Lima']).toContain(JSON.parse(call![1]!).city);
    await page.selectOption('#tool-choice-a', 'none');
    await page.fill('#temperature-a', '0');
    await page.fill('#seed-a', '');
    await page.fill('#messages .turn.assistant .tool-call input', '{"temp": 21}');
    await page.click('#messages .turn.assistant button.answer-tool');
    await assistantTurns(2);
    const roles = await page.$$eval('#messages .turn select.role', (els) => els.map((e) => (e as HTMLSelectElement).value));
    expect(roles).toEqual(['user', 'assistant', 'tool', 'assistant']);
    const messages = await page.evaluate(() => JSON.parse(localStorage.getItem('webinfer-playground:conversation')!));
    expect(messages.turns[2]).toMatchObject({ role: 'tool', content: '{"temp": 21}', tool_call_id: messages.turns[1].tool_calls[0].id });
    await page.uncheck('#use-tools-a');
    await page.click('#clear');
  });

  test('compare: two settings of one model answer side by side, each with TTFT, tok/s and token counts', async () => {
    await page.check('#compare');
    await page.selectOption('#model-b', 'tiny-chat');
    await page.fill('#max-tokens-b', '4');
    await page.fill('#temperature-b', '0');
    await send('Hi');
    await page.waitForFunction(() => [...document.querySelectorAll('#answers .pane')].every((p) => (p as HTMLElement).dataset.state === 'done') && document.querySelectorAll('#answers .pane').length === 2, null, { timeout: 30_000 });
    const panes = await page.$$eval('#answers .pane', (els) => els.map((e) => ({ title: e.querySelector('h3')!.textContent, text: e.querySelector('.answer-text')!.textContent, figures: e.querySelector('.figures-text')!.textContent })));
    expect(panes[0], JSON.stringify(panes)).toMatchObject({ text: SENTENCE });
    expect(panes[0]!.title).toMatch(/^A: tiny-chat · temperature 0 · max_tokens 256$/);
    expect(panes[0]!.figures).toMatch(/^TTFT \d+ ms · [\d.]+ tok\/s( \(whole request: one batch\))? · \d+ prompt \+ 13 completion tokens · finish: stop$/);
    expect(panes[1]!.title).toMatch(/^B: tiny-chat · temperature 0 · max_tokens 4$/);
    expect(SENTENCE.startsWith(panes[1]!.text!)).toBe(true);
    expect(panes[1]!.figures).toMatch(/^TTFT \d+ ms · [\d.]+ tok\/s( \(whole request: one batch\))? · \d+ prompt \+ 4 completion tokens · finish: length$/);
    if (SHOTS) await page.screenshot({ path: `${SHOTS}/compare-desktop.png`, fullPage: true });
    await page.click('#answers .pane[data-side="a"] button.keep');
    expect(await page.inputValue('#messages .turn.assistant textarea')).toBe(SENTENCE);
    await page.uncheck('#compare');
  });

  test('code view: Run gives the UI\'s text; Copy; the copied snippets run unmodified in a page of their own (openai SDK and fetch via /v1)', async () => {
    await page.click('#tab-code');
    expect(await page.isVisible('#code-view')).toBe(true);
    const other = await newPage('/e2e/pages/snippet.html');
    for (const kind of ['openai', 'fetch', 'client']) {
      await page.selectOption('#snippet-kind', kind);
      const code = (await page.textContent('#snippet'))!;
      expect(code).toContain('"content": "Hi"');
      await page.click('#run-snippet');
      await page.waitForFunction(() => document.getElementById('code-status')!.textContent !== 'Running…', null, { timeout: 30_000 });
      expect(await page.textContent('#code-status'), kind).toBe('Done.');
      expect(await page.textContent('#snippet-output')).toBe(SENTENCE);
      const raw = (await page.textContent('#raw-response'))!;
      if (kind === 'client') expect(JSON.parse(raw.split('\n')[0]!).object).toBe('chat.completion.chunk');
      else expect(raw.trimEnd().endsWith('data: [DONE]')).toBe(true);
      if (kind === 'client') continue;

      // The clipboard takes writes only from the focused page; the previous snippet's page may hold the focus.
      await page.bringToFront();
      await page.click('#copy');
      await page.waitForFunction(() => document.getElementById('code-status')!.textContent === 'Copied.');
      const copied = await page.evaluate(() => navigator.clipboard.readText());
      expect(copied).toBe(code);
      // Another page of the origin, with only the snippet in it: it answers through /v1.
      const printed = other.waitForEvent('console', { predicate: (m) => m.type() === 'log', timeout: 30_000 });
      await other.addScriptTag({ type: 'module', content: copied });
      expect((await printed).text(), kind).toBe(SENTENCE);
    }
    await other.close();
    await page.bringToFront(); // a background tab does not paint
    if (SHOTS) await page.screenshot({ path: `${SHOTS}/code-desktop.png`, fullPage: true });
    await page.click('#tab-ui');
  });

  test('attachments: a picture pasted (and removed) and picked for tiny-vlm, a WAV dropped for tiny-alm', async () => {
    await page.click('#clear');
    await page.fill('#system', '');
    await loadModel('tiny-vlm');
    // A pasted picture becomes an attachment (removed again here); a picked one is sent.
    await page.evaluate(async () => {
      const data = new DataTransfer();
      data.items.add(new File([await (await fetch('/e2e/pages/multimodal-red.png')).blob()], 'pasted.png', { type: 'image/png' }));
      document.getElementById('prompt')!.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }));
    });
    await page.click('#attachments button[aria-label="Remove pasted.png"]');
    expect(await page.$$('#attachments li')).toHaveLength(0);
    await page.setInputFiles('#attach-file', 'e2e/pages/multimodal-red.png');
    await page.waitForSelector('#attachments img.thumb');
    await send('What colour is this picture?');
    const [vlm] = await assistantTurns(1);
    expect(vlm!.text).toBe('The picture is red.');
    expect(await page.$$('#messages .turn.user img.thumb')).toHaveLength(1);

    await page.click('#clear');
    await loadModel('tiny-alm');
    // Drop a 4 kHz tone (WAV) on the composer.
    await page.evaluate(async (b64) => {
      const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
      const data = new DataTransfer();
      data.items.add(new File([bytes], 'tone.wav', { type: 'audio/wav' }));
      document.getElementById('composer')!.dispatchEvent(new DragEvent('drop', { dataTransfer: data, bubbles: true, cancelable: true }));
    }, wavTone(4000, 0.5, 16000).toString('base64'));
    await page.waitForSelector('#attachments audio');
    await send('Is the sound low or high?');
    const [alm] = await assistantTurns(1);
    expect(alm!.text).toBe('The sound is high.');
    await page.click('#clear');
  });

  test('reasoning is shown folded: a real Qwen3 architecture registered by URL, made to think with logit_bias', async () => {
    await registerByUrl('/models/tiny-random-qwen3/', 'tiny-random-qwen3', '');
    await page.click('#register summary');
    expect(await page.inputValue('#model')).toBe('tiny-random-qwen3');
    await loadModel('tiny-random-qwen3');
    // Random weights do not think on their own: the bias makes them write <think> (405), one
    // token, </think> (406), then an answer; the penalties take each bias back once used.
    await page.fill('#logit-bias-a', '{"405": 4');
    expect(await page.textContent('#logit-bias-a-status')).toMatch(/^Invalid JSON: /);
    const bias = { 405: 4, 406: 3 };
    await page.fill('#logit-bias-a', JSON.stringify(bias));
    expect(await page.textContent('#logit-bias-a-status')).toBe('Valid');
    await page.fill('#max-tokens-a', '6');
    await page.fill('#presence-penalty-a', '2');
    await page.fill('#frequency-penalty-a', '2');
    await send('Hi');
    const [turn] = await assistantTurns(1);
    // The same request, not streamed, through /v1: what the fold and the answer must show.
    const { message } = (await v1Chat({ model: 'tiny-random-qwen3', messages: [{ role: 'user', content: 'Hi' }], temperature: 0, max_tokens: 6, presence_penalty: 2, frequency_penalty: 2, logit_bias: bias })).choices[0];
    expect(message.reasoning_content).toBeTruthy();
    expect(message.content).toBeTruthy();
    const fold = await page.$eval('#messages .turn.assistant details.reasoning', (d) => ({
      open: (d as HTMLDetailsElement).open,
      summary: d.querySelector('summary')!.textContent,
      text: d.querySelector('summary + *')!.textContent,
      shown: d.querySelector('summary + *')!.checkVisibility(),
    }));
    expect(fold).toEqual({ open: false, summary: 'Reasoning', text: message.reasoning_content, shown: false });
    expect(turn!.text).toBe(message.content);
    await page.click('#messages .turn.assistant details.reasoning summary');
    expect(await page.$eval('#messages .turn.assistant details.reasoning summary + *', (e) => e.checkVisibility())).toBe(true);
    for (const f of ['#logit-bias-a', '#presence-penalty-a', '#frequency-penalty-a']) await page.fill(f, '');
    await page.fill('#max-tokens-a', '256');
    await page.click('#clear');
  });

  test('register a model by URL from the page, load it and chat; its snippet sets it up; registered again after a reload', async () => {
    await registerByUrl('/models/tiny-chat/', 'my-tiny');
    expect(await page.inputValue('#model')).toBe('my-tiny');
    await loadModel('my-tiny');
    await send('Hi');
    const [answer] = await assistantTurns(1);
    expect(answer!.text).toBe(SENTENCE);
    // The in-page snippet sets the registered model up as it was registered.
    await page.click('#tab-code');
    await page.selectOption('#snippet-kind', 'client');
    expect(await page.textContent('#snippet')).toContain('"id": "my-tiny",\n      "baseUrl": "/models/tiny-chat/"');
    await page.click('#tab-ui');
    // Registered again on the next visit.
    await page.reload();
    await loadModel('my-tiny');
    await page.click('#register summary');
    // A hub id without owner is refused before anything is sent.
    await page.fill('#register-source', 'not a repo');
    await page.fill('#register-id', '');
    await page.click('#register-submit');
    expect(await page.textContent('#register-status')).toMatch(/^A hub id looks like owner\/name/);
  });

  test('keyboard and labels: every control is named, the tabs follow the arrow keys; readable at phone width; no console errors', async () => {
    const unnamed = await page.$$eval('input, select, textarea, button', (els) => els
      .filter((e) => !(e as HTMLInputElement).hidden && (e as HTMLElement).offsetParent !== null)
      .filter((e) => !((e as HTMLInputElement).labels?.length || e.getAttribute('aria-label') || e.getAttribute('aria-labelledby') || (e.tagName === 'BUTTON' && e.textContent!.trim())))
      .map((e) => e.outerHTML.slice(0, 80)));
    expect(unnamed).toEqual([]);
    await page.focus('#tab-ui');
    await page.keyboard.press('ArrowRight');
    expect(await page.evaluate(() => document.activeElement!.id)).toBe('tab-code');
    expect(await page.isVisible('#code-view')).toBe(true);
    await page.keyboard.press('ArrowLeft');
    expect(await page.evaluate(() => document.activeElement!.id)).toBe('tab-ui');
    // Enter in the message box sends.
    await page.fill('#prompt', 'Hi');
    await page.press('#prompt', 'Enter');
    await assistantTurns(2);
    if (SHOTS) await page.screenshot({ path: `${SHOTS}/chat-desktop.png`, fullPage: true });

    await page.setViewportSize({ width: 390, height: 844 });
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    if (SHOTS) {
      await page.screenshot({ path: `${SHOTS}/chat-phone.png`, fullPage: true });
      await page.click('#tab-code');
      await page.screenshot({ path: `${SHOTS}/code-phone.png`, fullPage: true });
    }
    expect(problems).toEqual([]);
  });
});

/** A mono 16-bit PCM WAV of a sine tone. */
function wavTone(hz: number, seconds: number, rate: number): Buffer {
  const n = Math.round(seconds * rate);
  const buf = Buffer.alloc(44 + n * 2);
  buf.write('RIFF', 0); buf.writeUInt32LE(36 + n * 2, 4); buf.write('WAVE', 8);
  buf.write('fmt ', 12); buf.writeUInt32LE(16, 16); buf.writeUInt16LE(1, 20); buf.writeUInt16LE(1, 22);
  buf.writeUInt32LE(rate, 24); buf.writeUInt32LE(rate * 2, 28); buf.writeUInt16LE(2, 32); buf.writeUInt16LE(16, 34);
  buf.write('data', 36); buf.writeUInt32LE(n * 2, 40);
  for (let i = 0; i < n; i++) buf.writeInt16LE(Math.round(Math.sin((2 * Math.PI * hz * i) / rate) * 12000), 44 + i * 2);
  return buf;
}
