// Exports models with @sbert/core's exportOnnx for check_onnx_export.py (needs `pnpm build` in
// packages/core):  node tools/parity/onnx/export_models.mjs <outDir> <name>=<modelDir>[:int8] ...
import path from 'node:path';
import { SentenceTransformer, exportOnnx, initBackend } from '../../../packages/core/dist/index.js';

const [outDir, ...specs] = process.argv.slice(2);
await initBackend({ backend: 'wasm' });
for (const spec of specs) {
  const [name, rest] = spec.split('=');
  const [dir, flag] = rest.split(':');
  const model = await SentenceTransformer.load(dir);
  const files = [await exportOnnx(model, path.join(outDir, name, 'model.onnx'))];
  if (flag === 'int8') files.push(await exportOnnx(model, path.join(outDir, name, 'model_qint8.onnx'), { quantize: 'int8' }));
  model.dispose();
  console.log(files.join('\n'));
}
