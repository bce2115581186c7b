import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PNG } from 'pngjs';

/** The three colours of the easy task. */
export const COLOURS: Record<string, [number, number, number]> = {
  red: [200, 40, 40],
  green: [40, 180, 60],
  blue: [40, 60, 200],
};

/**
 * Writes `dir/{train,val}/{red,green,blue}/*.png`: noisy 40x40 images dominated by one colour,
 * with a darker disc at a random place (seeded).
 */
export function writeColourFolder(
  dir: string,
  perClass: { train: number; val: number },
  seed = 7,
): void {
  let s = seed;
  const rand = () => (s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32;
  for (const split of ['train', 'val'] as const) {
    for (const [name, [r, g, b]] of Object.entries(COLOURS)) {
      mkdirSync(join(dir, split, name), { recursive: true });
      for (let i = 0; i < perClass[split]; i++) {
        const png = new PNG({ width: 40, height: 40 });
        const cx = 8 + rand() * 24;
        const cy = 8 + rand() * 24;
        for (let y = 0; y < 40; y++) {
          for (let x = 0; x < 40; x++) {
            const k = (x - cx) ** 2 + (y - cy) ** 2 < 64 ? 0.6 : 1;
            const o = (y * 40 + x) * 4;
            png.data[o] = Math.min(255, Math.max(0, r * k + (rand() - 0.5) * 80));
            png.data[o + 1] = Math.min(255, Math.max(0, g * k + (rand() - 0.5) * 80));
            png.data[o + 2] = Math.min(255, Math.max(0, b * k + (rand() - 0.5) * 80));
            png.data[o + 3] = 255;
          }
        }
        writeFileSync(join(dir, split, name, `${i}.png`), PNG.sync.write(png));
      }
    }
  }
}
