#!/usr/bin/env node
/**
 * The hybrid end-to-end tests start a real OpenAI-compatible server, Hugging Face's
 * `transformers serve` (Python). Installs its packages when they are missing: from the
 * machine's local package index where there is one (these machines reach no other),
 * else from pip's configured index.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const python = process.env.PYTHON ?? 'python3';
const modules = ['torch', 'transformers', 'fastapi', 'uvicorn', 'openai', 'accelerate'];

function missing() {
  try {
    execFileSync(python, ['-c', `import ${modules.join(', ')}`], { stdio: 'ignore' });
    return false;
  } catch {
    return true;
  }
}

if (!missing()) process.exit(0);
const local = existsSync('/opt/pypi/simple') ? ['--index-url', 'file:///opt/pypi/simple', '--extra-index-url', 'file:///opt/pypi-more/simple'] : [];
console.log(`Installing ${modules.join(', ')} for the hybrid tests (transformers serve)...`);
execFileSync(python, ['-m', 'pip', 'install', '-q', ...local, ...modules], { stdio: 'inherit' });
if (missing()) {
  console.error(`${python} still cannot import ${modules.join(', ')}; the hybrid tests need them.`);
  process.exit(1);
}
