/**
 * The transfer curve as an SVG in the manner of the BiT blog post's Figure 1: top-1 against
 * examples per class (log scale), one line per arm (mean over seeds) with a min-max band.
 */
const COLORS = { bit: '#d62728', scratch: '#1f77b4', linear: '#2ca02c' };
const NAMES = {
  bit: 'BiT, fine-tuned',
  scratch: 'from scratch',
  linear: 'BiT, linear (frozen features)',
};

function summarise(points) {
  const byMode = new Map();
  for (const p of points) {
    const modeMap = byMode.get(p.mode) ?? new Map();
    byMode.set(p.mode, modeMap);
    const list = modeMap.get(p.examplesPerClass) ?? [];
    modeMap.set(p.examplesPerClass, list);
    list.push(p.top1);
  }
  const out = {};
  for (const [mode, ks] of byMode) {
    out[mode] = [...ks.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([k, v]) => ({
        k,
        mean: v.reduce((s, x) => s + x, 0) / v.length,
        min: Math.min(...v),
        max: Math.max(...v),
        n: v.length,
      }));
  }
  return out;
}

/** Mean, min and max top-1 per arm and k. */
export { summarise };

/**
 * Renders `points` ({ mode, examplesPerClass, seed, top1 }) as an SVG document. `reference`
 * ({ label, values: [{ k, mean }] }), when given, is drawn as a dashed grey line (the probe's
 * nearest-class-mean on pixels: what no training at all gives).
 */
export function transferSvg(
  points,
  { title = 'Few-shot transfer on Fashion-MNIST classes 5-9', reference } = {},
) {
  const W = 640;
  const H = 420;
  const m = { left: 60, right: 20, top: 40, bottom: 90 };
  const series = summarise(points);
  const ks = [...new Set(points.map((p) => p.examplesPerClass))].sort((a, b) => a - b);
  const kMin = ks[0];
  const kMax = ks[ks.length - 1];
  const x = (k) =>
    m.left +
    ((Math.log(k) - Math.log(kMin)) / (Math.log(kMax) - Math.log(kMin) || 1)) *
      (W - m.left - m.right);
  const refValues = (reference?.values ?? []).filter((r) => ks.includes(r.k));
  const all = [...points.map((p) => p.top1), ...refValues.map((r) => r.mean)];
  const lo = Math.max(0, Math.floor(Math.min(...all) * 10) / 10);
  const hi = Math.min(1, Math.ceil(Math.max(...all) * 10) / 10);
  const y = (v) => m.top + (1 - (v - lo) / (hi - lo || 1)) * (H - m.top - m.bottom);
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2}" y="22" text-anchor="middle" font-size="15">${title}</text>`,
  ];
  for (let v = lo; v <= hi + 1e-9; v += 0.1) {
    const yy = y(v).toFixed(1);
    parts.push(
      `<line x1="${m.left}" x2="${W - m.right}" y1="${yy}" y2="${yy}" stroke="#ddd"/>`,
      `<text x="${m.left - 8}" y="${yy}" text-anchor="end" dominant-baseline="middle">${Math.round(v * 100)}%</text>`,
    );
  }
  for (const k of ks) {
    const xx = x(k).toFixed(1);
    parts.push(
      `<line x1="${xx}" x2="${xx}" y1="${m.top}" y2="${H - m.bottom}" stroke="#eee"/>`,
      `<text x="${xx}" y="${H - m.bottom + 18}" text-anchor="middle">${k}</text>`,
    );
  }
  parts.push(
    `<text x="${(m.left + W - m.right) / 2}" y="${H - m.bottom + 38}" text-anchor="middle">examples per class (log scale)</text>`,
    `<text x="16" y="${(m.top + H - m.bottom) / 2}" text-anchor="middle" transform="rotate(-90 16 ${(m.top + H - m.bottom) / 2})">top-1 on 5000 test images</text>`,
    `<rect x="${m.left}" y="${m.top}" width="${W - m.left - m.right}" height="${H - m.top - m.bottom}" fill="none" stroke="#333"/>`,
  );
  let legendY = H - 30;
  let legendX = m.left;
  for (const mode of ['bit', 'linear', 'scratch']) {
    const s = series[mode];
    if (!s) continue;
    const color = COLORS[mode];
    const band = [
      ...s.map((p) => `${x(p.k).toFixed(1)},${y(p.max).toFixed(1)}`),
      ...[...s].reverse().map((p) => `${x(p.k).toFixed(1)},${y(p.min).toFixed(1)}`),
    ].join(' ');
    parts.push(`<polygon points="${band}" fill="${color}" fill-opacity="0.18" stroke="none"/>`);
    parts.push(
      `<polyline points="${s.map((p) => `${x(p.k).toFixed(1)},${y(p.mean).toFixed(1)}`).join(' ')}" fill="none" stroke="${color}" stroke-width="2.5"/>`,
    );
    for (const p of s) {
      parts.push(
        `<circle cx="${x(p.k).toFixed(1)}" cy="${y(p.mean).toFixed(1)}" r="3.5" fill="${color}"/>`,
      );
    }
    parts.push(
      `<line x1="${legendX}" x2="${legendX + 22}" y1="${legendY}" y2="${legendY}" stroke="${color}" stroke-width="3"/>`,
      `<text x="${legendX + 28}" y="${legendY}" dominant-baseline="middle">${NAMES[mode]}</text>`,
    );
    legendX += 28 + NAMES[mode].length * 6.5 + 30;
  }
  if (refValues.length > 0) {
    parts.push(
      `<polyline points="${refValues.map((r) => `${x(r.k).toFixed(1)},${y(r.mean).toFixed(1)}`).join(' ')}" fill="none" stroke="#777" stroke-width="1.5" stroke-dasharray="5 4"/>`,
      `<line x1="${m.left}" x2="${m.left + 22}" y1="${legendY + 20}" y2="${legendY + 20}" stroke="#777" stroke-width="1.5" stroke-dasharray="5 4"/>`,
      `<text x="${m.left + 28}" y="${legendY + 20}" dominant-baseline="middle">${reference.label}</text>`,
    );
  }
  parts.push(
    `<text x="${W - m.right}" y="${m.top - 6}" text-anchor="end" font-size="10" fill="#666">lines: mean over seeds; bands: min-max</text>`,
    '</svg>',
  );
  return `${parts.join('\n')}\n`;
}
