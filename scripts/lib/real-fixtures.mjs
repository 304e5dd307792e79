// The committed real-architecture fixtures (fixtures/models/<name>/, made by
// scripts/fixtures/gen_real_models.py): their files, checked against fixtures/models/SHA256SUMS
// so a truncated or hand-edited file (or a Git LFS pointer) fails here, not in a test.
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { createHash } from 'node:crypto';

/** [{ name, files: [{ rel, path }] }] for every fixture listed in SHA256SUMS, after checking each hash. */
export function realFixtures(root) {
  const dir = join(root, 'fixtures', 'models');
  const sums = join(dir, 'SHA256SUMS');
  if (!existsSync(sums)) return [];
  const models = new Map();
  const bad = [];
  for (const line of readFileSync(sums, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    const [hash, rel] = line.split(/ {2}/);
    const path = join(dir, rel);
    const actual = existsSync(path) ? createHash('sha256').update(readFileSync(path)).digest('hex') : 'missing';
    if (actual !== hash) bad.push(`${rel} (${actual === 'missing' ? 'missing' : 'sha256 differs'})`);
    const [name, ...rest] = rel.split('/');
    if (!models.has(name)) models.set(name, []);
    models.get(name).push({ rel: rest.join('/'), path });
  }
  if (bad.length) {
    throw new Error(`fixtures/models does not match its SHA256SUMS: ${bad.join(', ')}; ` +
      'regenerate with python3 scripts/fixtures/gen_real_models.py or restore the files from git');
  }
  return [...models].map(([name, files]) => ({ name, files }));
}
