/**
 * CIFAR binary batches. CIFAR-10: records of 1 label byte + 3072 image bytes
 * (`data_batch_1..5.bin`, `test_batch.bin`). CIFAR-100: 1 coarse + 1 fine label byte + 3072
 * (`train.bin`, `test.bin`). Images are stored planar (1024 R, 1024 G, 1024 B) at 32x32.
 */
import { DataFormatError } from '../errors';

/** Which CIFAR variant a file is, and for CIFAR-100 which label to use. */
export type CifarVariant = 'cifar10' | 'cifar100';

/** Parsed CIFAR records: images HWC uint8 [N, 32, 32, 3] and labels. */
export interface CifarRecords {
  readonly images: Uint8Array;
  readonly labels: Int32Array;
  /** CIFAR-100 only: the other label (coarse when `labels` are fine, and the reverse). */
  readonly otherLabels?: Int32Array;
}

const PIXELS = 32 * 32;

/**
 * Parses a CIFAR binary file. For CIFAR-100, `label` chooses 'fine' (default) or 'coarse'.
 */
export function parseCifar(
  bytes: Uint8Array,
  variant: CifarVariant,
  label: 'fine' | 'coarse' = 'fine',
  name = 'CIFAR data',
): CifarRecords {
  const head = variant === 'cifar100' ? 2 : 1;
  const record = head + 3 * PIXELS;
  if (bytes.length === 0 || bytes.length % record !== 0) {
    throw new DataFormatError(
      `${name}: ${bytes.length} bytes is not a whole number of ${variant} records of ${record} bytes`,
      name,
    );
  }
  const n = bytes.length / record;
  const images = new Uint8Array(n * 3 * PIXELS);
  const labels = new Int32Array(n);
  const other = variant === 'cifar100' ? new Int32Array(n) : undefined;
  for (let i = 0; i < n; i++) {
    const r = i * record;
    if (variant === 'cifar100') {
      const coarse = bytes[r];
      const fine = bytes[r + 1];
      labels[i] = label === 'coarse' ? coarse : fine;
      other![i] = label === 'coarse' ? fine : coarse;
    } else {
      labels[i] = bytes[r];
    }
    const src = r + head;
    const dst = i * 3 * PIXELS;
    for (let p = 0; p < PIXELS; p++) {
      images[dst + p * 3] = bytes[src + p];
      images[dst + p * 3 + 1] = bytes[src + PIXELS + p];
      images[dst + p * 3 + 2] = bytes[src + 2 * PIXELS + p];
    }
  }
  return { images, labels, ...(other ? { otherLabels: other } : {}) };
}

/** CIFAR-10 class names (batches.meta.txt). */
export const CIFAR10_CLASSES: readonly string[] = [
  'airplane',
  'automobile',
  'bird',
  'cat',
  'deer',
  'dog',
  'frog',
  'horse',
  'ship',
  'truck',
];

/** CIFAR-100 fine class names (fine_label_names.txt). */
export const CIFAR100_FINE_CLASSES: readonly string[] = (
  'apple aquarium_fish baby bear beaver bed bee beetle bicycle bottle bowl boy bridge bus butterfly camel can ' +
  'castle caterpillar cattle chair chimpanzee clock cloud cockroach couch crab crocodile cup dinosaur dolphin ' +
  'elephant flatfish forest fox girl hamster house kangaroo keyboard lamp lawn_mower leopard lion lizard lobster ' +
  'man maple_tree motorcycle mountain mouse mushroom oak_tree orange orchid otter palm_tree pear pickup_truck ' +
  'pine_tree plain plate poppy porcupine possum rabbit raccoon ray road rocket rose sea seal shark shrew skunk ' +
  'skyscraper snail snake spider squirrel streetcar sunflower sweet_pepper table tank telephone television tiger ' +
  'tractor train trout tulip turtle wardrobe whale willow_tree wolf woman worm'
).split(' ');

/** CIFAR-100 coarse class names (coarse_label_names.txt). */
export const CIFAR100_COARSE_CLASSES: readonly string[] = (
  'aquatic_mammals fish flowers food_containers fruit_and_vegetables household_electrical_devices ' +
  'household_furniture insects large_carnivores large_man-made_outdoor_things large_natural_outdoor_scenes ' +
  'large_omnivores_and_herbivores medium_mammals non-insect_invertebrates people reptiles small_mammals trees ' +
  'vehicles_1 vehicles_2'
).split(' ');
