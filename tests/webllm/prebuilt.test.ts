import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';
import { renderPrebuiltModule } from './prebuilt-snapshot.js';

/**
 * The host lists web-llm's prebuilt models without loading web-llm (6.8 MB of JS) into
 * every worker: src/engines/webllm/prebuilt.ts is a snapshot of the installed web-llm's
 * prebuiltAppConfig. This test keeps the two identical.
 */
const target = fileURLToPath(new URL('../../src/engines/webllm/prebuilt.ts', import.meta.url));
const version = JSON.parse(readFileSync(fileURLToPath(new URL('../../node_modules/@mlc-ai/web-llm/package.json', import.meta.url)), 'utf8')).version as string;

test('the prebuilt snapshot equals the installed web-llm prebuiltAppConfig', () => {
  const expected = renderPrebuiltModule(version);
  if (process.env.WEBINFER_UPDATE_PREBUILT === '1') writeFileSync(target, expected);
  let actual = '';
  try { actual = readFileSync(target, 'utf8'); } catch { /* missing: the assertion says how to fix it */ }
  expect(actual, 'snapshot drifted: run WEBINFER_UPDATE_PREBUILT=1 npx vitest run tests/webllm/prebuilt.test.ts').toBe(expected);
});
