/** The work a pool worker does for one job (also usable in-thread, for tests). */
import type { DecodedImage } from '../image';
import { applyAugmentInto } from '../transforms/hyperrule';
import { decodeImageFile, type DecoderPreference } from './decode';
import type { WireTask } from './worker-protocol';

/** Runs tasks into a fresh Float32Array of `tasks.length * pixels`; returns it and per-task errors. */
export async function runWireTasks(
  tasks: readonly WireTask[],
  pixels: number,
  decoder: DecoderPreference,
): Promise<{ out: Float32Array; errors: (string | null)[] }> {
  const out = new Float32Array(tasks.length * pixels);
  const errors: (string | null)[] = [];
  for (let i = 0; i < tasks.length; i++) {
    const { image, params } = tasks[i];
    let decoded: DecodedImage;
    try {
      decoded =
        'file' in image
          ? await decodeImageFile(image.file, { decoder, maxPixels: image.maxPixels })
          : { data: image.data, height: image.height, width: image.width, channels: 3 };
    } catch (e) {
      errors.push(e instanceof Error ? e.message : String(e));
      continue;
    }
    applyAugmentInto(decoded, params, out, i * pixels);
    errors.push(null);
  }
  return { out, errors };
}
