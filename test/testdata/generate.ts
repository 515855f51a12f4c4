/**
 * Writes the fixture corpus: `npm run testdata`. Files no case produces any more are removed.
 */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { corpusFiles, PRESETS } from './corpus.ts';

const root = dirname(fileURLToPath(import.meta.url));
const files = corpusFiles();
for (const preset of PRESETS) rmSync(join(root, preset), { recursive: true, force: true });
for (const [path, text] of files) {
  mkdirSync(dirname(join(root, path)), { recursive: true });
  writeFileSync(join(root, path), text);
}
const written = PRESETS.flatMap((preset) =>
  readdirSync(join(root, preset), { recursive: true }).filter((name) =>
    String(name).endsWith('.yaml'),
  ),
);
process.stdout.write(
  `wrote ${written.length} files under ${relative(process.cwd(), root) || '.'}\n`,
);
