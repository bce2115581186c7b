/**
 * An independent float64 ResNetV2 (BiT) forward pass in plain JS, straight from the design's
 * numerics, for checking the tfjs model on checkpoints written fresh in the tests.
 */
export interface Arr {
  shape: number[];
  data: Float64Array;
}

export type Weights = Map<string, { shape: readonly number[]; data: ArrayLike<number> }>;

function conv(
  x: Arr,
  w: { shape: readonly number[]; data: ArrayLike<number> },
  stride: number,
  pad: number,
): Arr {
  const [n, h, wd, cin] = x.shape;
  const [kh, kw, , cout] = w.shape;
  // Weight standardisation per output channel over (kh, kw, cin), population variance, eps 1e-10.
  const k = kh * kw * cin;
  const ws = new Float64Array(k * cout);
  for (let o = 0; o < cout; o++) {
    let mean = 0;
    for (let i = 0; i < k; i++) mean += w.data[i * cout + o];
    mean /= k;
    let v = 0;
    for (let i = 0; i < k; i++) v += (w.data[i * cout + o] - mean) ** 2;
    const inv = 1 / Math.sqrt(v / k + 1e-10);
    for (let i = 0; i < k; i++) ws[i * cout + o] = (w.data[i * cout + o] - mean) * inv;
  }
  const oh = Math.floor((h + 2 * pad - kh) / stride) + 1;
  const ow = Math.floor((wd + 2 * pad - kw) / stride) + 1;
  const out = new Float64Array(n * oh * ow * cout);
  for (let b = 0; b < n; b++)
    for (let y = 0; y < oh; y++)
      for (let xx = 0; xx < ow; xx++) {
        const o = ((b * oh + y) * ow + xx) * cout;
        for (let i = 0; i < kh; i++) {
          const iy = y * stride + i - pad;
          if (iy < 0 || iy >= h) continue;
          for (let j = 0; j < kw; j++) {
            const ix = xx * stride + j - pad;
            if (ix < 0 || ix >= wd) continue;
            const xi = ((b * h + iy) * wd + ix) * cin;
            const wi = (i * kw + j) * cin * cout;
            for (let c = 0; c < cin; c++) {
              const v = x.data[xi + c];
              const wr = wi + c * cout;
              for (let f = 0; f < cout; f++) out[o + f] += v * ws[wr + f];
            }
          }
        }
      }
  return { shape: [n, oh, ow, cout], data: out };
}

function gnRelu(x: Arr, gamma: ArrayLike<number>, beta: ArrayLike<number>, relu = true): Arr {
  const [n, h, w, c] = x.shape;
  const g = 32;
  const cg = c / g;
  const out = new Float64Array(x.data.length);
  for (let b = 0; b < n; b++)
    for (let gi = 0; gi < g; gi++) {
      let mean = 0;
      const count = h * w * cg;
      for (let p = 0; p < h * w; p++)
        for (let k = 0; k < cg; k++) mean += x.data[(b * h * w + p) * c + gi * cg + k];
      mean /= count;
      let v = 0;
      for (let p = 0; p < h * w; p++)
        for (let k = 0; k < cg; k++) v += (x.data[(b * h * w + p) * c + gi * cg + k] - mean) ** 2;
      const inv = 1 / Math.sqrt(v / count + 1e-5);
      for (let p = 0; p < h * w; p++)
        for (let k = 0; k < cg; k++) {
          const ch = gi * cg + k;
          const idx = (b * h * w + p) * c + ch;
          const y = (x.data[idx] - mean) * inv * gamma[ch] + beta[ch];
          out[idx] = relu ? Math.max(0, y) : y;
        }
    }
  return { shape: x.shape, data: out };
}

function add(a: Arr, b: Arr): Arr {
  return { shape: a.shape, data: a.data.map((v, i) => v + b.data[i]) };
}

function maxPool(x: Arr): Arr {
  // Zero-pad 1, then 3x3 stride 2 VALID.
  const [n, h, w, c] = x.shape;
  const oh = Math.floor((h + 2 - 3) / 2) + 1;
  const ow = Math.floor((w + 2 - 3) / 2) + 1;
  const out = new Float64Array(n * oh * ow * c);
  for (let b = 0; b < n; b++)
    for (let y = 0; y < oh; y++)
      for (let xx = 0; xx < ow; xx++)
        for (let ch = 0; ch < c; ch++) {
          let m = -Infinity;
          for (let i = 0; i < 3; i++)
            for (let j = 0; j < 3; j++) {
              const iy = y * 2 + i - 1;
              const ix = xx * 2 + j - 1;
              const v =
                iy < 0 || iy >= h || ix < 0 || ix >= w
                  ? 0
                  : x.data[((b * h + iy) * w + ix) * c + ch];
              if (v > m) m = v;
            }
          out[((b * oh + y) * ow + xx) * c + ch] = m;
        }
  return { shape: [n, oh, ow, c], data: out };
}

/** Forward pass: returns pre-logits [N, C] and logits [N, K] (when the weights have a head). */
export function referenceForward(
  weights: Weights,
  units: number[],
  input: Arr,
): { prelogits: Arr; logits?: Arr } {
  const W = (name: string) => {
    const w = weights.get(name);
    if (!w) throw new Error(`reference: missing ${name}`);
    return w;
  };
  let x: Arr = { shape: input.shape, data: input.data.map((v) => v * 2 - 1) };
  x = conv(x, W('resnet/root_block/standardized_conv2d/kernel'), 2, 3);
  x = maxPool(x);
  for (let b = 1; b <= 4; b++) {
    for (let u = 1; u <= units[b - 1]; u++) {
      const p = `resnet/block${b}/unit${String(u).padStart(2, '0')}`;
      const stride = u === 1 && b > 1 ? 2 : 1;
      const pre = gnRelu(x, W(`${p}/a/group_norm/gamma`).data, W(`${p}/a/group_norm/beta`).data);
      const proj = weights.get(`${p}/a/proj/standardized_conv2d/kernel`);
      const shortcut = proj ? conv(pre, proj, stride, 0) : x;
      let y = conv(pre, W(`${p}/a/standardized_conv2d/kernel`), 1, 0);
      y = gnRelu(y, W(`${p}/b/group_norm/gamma`).data, W(`${p}/b/group_norm/beta`).data);
      y = conv(y, W(`${p}/b/standardized_conv2d/kernel`), stride, 1);
      y = gnRelu(y, W(`${p}/c/group_norm/gamma`).data, W(`${p}/c/group_norm/beta`).data);
      y = conv(y, W(`${p}/c/standardized_conv2d/kernel`), 1, 0);
      x = add(y, shortcut);
    }
  }
  x = gnRelu(x, W('resnet/group_norm/gamma').data, W('resnet/group_norm/beta').data);
  const [n, h, w, c] = x.shape;
  const pre = new Float64Array(n * c);
  for (let b = 0; b < n; b++)
    for (let p = 0; p < h * w; p++)
      for (let ch = 0; ch < c; ch++) pre[b * c + ch] += x.data[(b * h * w + p) * c + ch] / (h * w);
  const prelogits = { shape: [n, c], data: pre };
  const head = weights.get('resnet/head/conv2d/kernel');
  if (!head) return { prelogits };
  const bias = W('resnet/head/conv2d/bias').data;
  const k = head.shape[3];
  const logits = new Float64Array(n * k);
  for (let b = 0; b < n; b++)
    for (let j = 0; j < k; j++) {
      let s = bias[j];
      for (let ch = 0; ch < c; ch++) s += pre[b * c + ch] * head.data[ch * k + j];
      logits[b * k + j] = s;
    }
  return { prelogits, logits: { shape: [n, k], data: logits } };
}
