// Acceptance checks of issue 9, run from the packed tarballs in a fresh project, type-checked
// with `tsc --strict` first (scripts/consumer-test.mjs writes the files it reads: weights.npz,
// cat.png, data/<class>/*.png).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import '@bit/layers';
import {
  checkpointLayout,
  classify,
  getBiTMetadata,
  loadBiT,
  openNpzFile,
  PixelRangeError,
  predict,
  resolveDataConfig,
  saveBiT,
  writeNpzFile,
  type NpzWriteArray,
} from '@bit/models/node';
import { fineTuneRun } from '@bit/train/node';

await tf.setBackend('cpu');
const here = resolve('.');

// 1. Integer 0–255 tensors give the same predictions as the same pixels / 255.
const model = await loadBiT('weights.npz');
const pixels = tf.randomUniform([2, 32, 32, 3], 0, 256, 'int32', 1);
const scaled = tf.tidy(() => tf.div(tf.cast(pixels, 'float32'), 255));
const a = await predict(model, pixels, { logits: true, labels: null });
const b = await predict(model, scaled, { logits: true, labels: null });
a.forEach((p, i) => {
  assert.deepEqual(
    p.top.map((t) => t.index),
    b[i].top.map((t) => t.index),
  );
  p.logits!.forEach((v, j) => assert.ok(Math.abs(v - b[i].logits![j]) < 1e-5));
});

// 2. Float input outside [0, 1] is refused with a message naming the [0, 1] range.
const outside = tf.randomUniform([1, 32, 32, 3], -1, 1);
await assert.rejects(predict(model, outside), (e: unknown) => {
  assert.ok(e instanceof PixelRangeError);
  assert.match(e.message, /\[0, 1\]/);
  return true;
});
tf.dispose([pixels, scaled, outside]);
console.log('pixel rules ok');

// 3. A run folder predicts with the run's class names.
const run = join(here, 'runs', 'colours');
await fineTuneRun({
  model: 'weights.npz',
  train: 'data',
  out: run,
  steps: 5,
  batchSize: 6,
  resolution: { precrop: 20, crop: 16 },
  handleSigint: false,
  log: () => undefined,
});
const tuned = await loadBiT(run);
assert.deepEqual(getBiTMetadata(tuned)?.labels, ['blue', 'green', 'red']);
assert.equal((await resolveDataConfig(tuned)).resolution, 16);
const [top] = await classify(tuned, 'data/red/0.png', { topK: 3 });
assert.ok(['blue', 'green', 'red'].includes(top.label ?? ''));
console.log(`run folder ok: ${top.label} ${top.score.toFixed(3)}`);

// 4. A 20000-class head with { numClasses: 3 }: less than half the old head's bytes in tensors.
const tiny = await openNpzFile('weights.npz');
const classes = 20000;
let headBytes = 0;
async function* bigHead(): AsyncGenerator<NpzWriteArray> {
  for (const e of checkpointLayout({ units: [1, 1, 1, 1], width: 0.5, numClasses: classes })) {
    if (e.name.startsWith('resnet/head/')) {
      const n = e.shape.reduce((x, y) => x * y, 1);
      headBytes += n * 4;
      yield {
        name: e.name,
        shape: e.shape,
        data: new Float32Array(n).fill(0.01),
        dtype: 'float32',
      };
    } else {
      const arr = await tiny.read(e.name);
      yield { name: e.name, shape: arr.shape, data: arr.data, dtype: 'float32' };
    }
  }
}
await writeNpzFile('head20k.npz', bigHead());
await tiny.close();
const base = tf.memory().numBytes;
const small = await loadBiT('head20k.npz', { numClasses: 3 });
const held = tf.memory().numBytes - base;
const backbone = small.countParams() * 4;
assert.ok(held - backbone < headBytes / 2, `held ${held} B, backbone ${backbone} B`);
console.log(
  `numClasses ok: ${(held / 2 ** 20).toFixed(1)} MiB in tensors, old head ${(headBytes / 2 ** 20).toFixed(1)} MiB never loaded`,
);
small.dispose();

// 5. A TF.js export has no machine path in model.json and loads in plain TF.js (same outputs).
await saveBiT(model, 'web-model');
const json = readFileSync('web-model/model.json', 'utf8');
assert.ok(!json.includes(here), 'model.json holds a machine path');
const server = createServer((req, res) => {
  try {
    res.end(readFileSync(join('web-model', (req.url ?? '/').slice(1))));
  } catch {
    res.writeHead(404).end();
  }
});
await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/model.json`;
const plain = await tfl.loadLayersModel(url);
const x = tf.randomUniform([1, 32, 32, 3], 0, 1, 'float32', 2);
const viaBiT = await loadBiT('web-model');
const d1 = (await (plain.predict(x) as tf.Tensor).data()) as Float32Array;
const d2 = (await (viaBiT.predict(x) as tf.Tensor).data()) as Float32Array;
d1.forEach((v, i) => assert.ok(Math.abs(v - d2[i]) < 1e-5));
// Without '@bit/layers' plain TF.js does not know the layers: the error the READMEs document.
let unknown = '';
try {
  await promisify(execFile)(process.execPath, [
    '--input-type=module',
    '-e',
    `import '@tensorflow/tfjs-backend-cpu'; import * as tfl from '@tensorflow/tfjs-layers'; await tfl.loadLayersModel(${JSON.stringify(url)});`,
  ]);
} catch (e) {
  unknown = String((e as { stderr?: string }).stderr ?? e);
}
assert.match(unknown, /Unknown layer: (StandardizedConv2D|GroupNormalization)/);
server.close();
console.log('TF.js interop ok');
