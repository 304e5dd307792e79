import { prebuiltAppConfig } from '@mlc-ai/web-llm';

/** Renders src/engines/webllm/prebuilt.ts from the installed web-llm's prebuilt list. */
export function renderPrebuiltModule(version: string): string {
  const rows = prebuiltAppConfig.model_list.map((record) => `  ${JSON.stringify(record)},`);
  return [
    '// Generated from @mlc-ai/web-llm ' + version + "'s prebuiltAppConfig.model_list: do not edit.",
    '// tests/webllm/prebuilt.test.ts fails when it drifts from the installed web-llm;',
    '// WEBINFER_UPDATE_PREBUILT=1 npx vitest run tests/webllm/prebuilt.test.ts rewrites it.',
    "import type { ModelRecord } from '@mlc-ai/web-llm';",
    '',
    `export const PREBUILT_WEBLLM_VERSION = ${JSON.stringify(version)};`,
    '',
    'export const prebuiltModelList: ModelRecord[] = [',
    ...rows,
    '];',
    '',
  ].join('\n');
}
