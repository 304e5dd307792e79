/**
 * What the Node model checks share: transformers.js pointed at public/models/ (local
 * files only), named checks that report and count failures, and the closing verdict.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { env } from '@huggingface/transformers';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

env.allowLocalModels = true;
env.allowRemoteModels = false;
env.localModelPath = join(ROOT, 'public', 'models') + '/';

let failures = 0;

export async function check(name, fn) {
  try {
    await fn();
    console.log(`ok   ${name}`);
  } catch (err) {
    failures++;
    console.log(`FAIL ${name}\n     ${String(err?.stack ?? err).split('\n').join('\n     ')}`);
  }
}

/** Prints the verdict; exits 1 when any check failed. */
export function finish(what) {
  if (failures) {
    console.log(`\n${failures} check(s) failed`);
    process.exit(1);
  }
  console.log(`\nall ${what} checks passed`);
}
