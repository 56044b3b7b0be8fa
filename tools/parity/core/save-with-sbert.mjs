// Loads models with @sbert/core (built: packages/core/dist) and saves them with its saver, so
// that check_ts_saved.sh can load the copies in Python sentence-transformers.
//   node tools/parity/core/save-with-sbert.mjs <out_dir> <model_dir>...
import path from 'node:path';
import { SentenceTransformer } from '../../../packages/core/dist/index.js';

const [out, ...models] = process.argv.slice(2);
for (const dir of models) {
  const model = await SentenceTransformer.load(dir);
  await model.save(path.join(out, path.basename(dir)));
  model.dispose();
}
