import { type BiTArchitecture, countParameters, parseArchitectureName } from '../architecture/spec';
import { BitModelsError } from '../errors';
import { registerLabels } from '../labels/index';

/** The Fashion-MNIST classes the embedded model was pre-trained on (labels 0-4). */
export const FASHION_MNIST_UPSTREAM_CLASSES = [
  'T-shirt/top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
] as const;

/** One downloadable checkpoint of the zoo. */
export interface ZooEntry {
  /** Official name, e.g. `BiT-M-R50x1`. */
  readonly name: string;
  /** Where the official `.npz` lives (relative to the base URL when it does not start with http). */
  readonly url: string;
  readonly architecture: BiTArchitecture;
  /** Label set of the head (`imagenet21k`, `imagenet1k`), or null for a features-only model. */
  readonly labels: string | null;
  /** Parameter count, head included. */
  readonly parameters: number;
  /** Approximate file size in bytes (float32 weights). */
  readonly approxBytes: number;
  /** Resolution the checkpoint was trained or fine-tuned at. */
  readonly resolution: number;
  readonly description: string;
  /**
   * True for a checkpoint shipped inside @bit/models (`url` is then a file name under the
   * package's `assets/` folder): Node reads it from the installed package (no network, no
   * cache); browsers fetch it relative to the package's build (`new URL('../assets/<url>',
   * import.meta.url)`, which bundlers such as Vite rewrite) or under `assetBaseUrl`.
   */
  readonly embedded?: boolean;
}

/** Thrown for a model name the zoo does not know. */
export class UnknownModelError extends BitModelsError {
  override name = 'UnknownModelError';
}

/** Default origin of the official checkpoints; override with `BIT_MODELS_BASE_URL` (Node) or options. */
export const OFFICIAL_BASE_URL = 'https://storage.googleapis.com/bit_models/';

const entries = new Map<string, ZooEntry>();

/** Adds (or replaces) a zoo entry; users register their own checkpoints the same way. */
export function registerModel(
  entry: Omit<ZooEntry, 'parameters' | 'approxBytes'> & Partial<ZooEntry>,
): ZooEntry {
  const parameters = entry.parameters ?? countParameters(entry.architecture);
  const full: ZooEntry = { ...entry, parameters, approxBytes: entry.approxBytes ?? parameters * 4 };
  entries.set(full.name.toLowerCase(), full);
  return full;
}

/** Every registered entry, in registration order. */
export function listModels(): ZooEntry[] {
  return [...entries.values()];
}

/** The entry named `name` (case-insensitive), or an UnknownModelError listing close names. */
export function getModelEntry(name: string): ZooEntry {
  const entry = entries.get(name.toLowerCase());
  if (!entry) {
    const known = listModels().map((e) => e.name);
    throw new UnknownModelError(
      `unknown model '${name}'; known models: ${known.slice(0, 8).join(', ')}, ... (bit models lists all ${known.length})`,
    );
  }
  return entry;
}

/** True when `name` is a registered zoo entry. */
export function hasModel(name: string): boolean {
  return entries.has(name.toLowerCase());
}

const ARCHS = ['R50x1', 'R50x3', 'R101x1', 'R101x3', 'R152x2', 'R152x4'] as const;

for (const arch of ARCHS) {
  registerModel({
    name: `BiT-S-${arch}`,
    url: `BiT-S-${arch}.npz`,
    architecture: parseArchitectureName(arch, 1000),
    labels: 'imagenet1k',
    resolution: 224,
    description: `BiT-S ${arch}: pre-trained on ILSVRC-2012 (1.3M images, 1000 classes)`,
  });
}
for (const arch of ARCHS) {
  registerModel({
    name: `BiT-M-${arch}`,
    url: `BiT-M-${arch}.npz`,
    architecture: parseArchitectureName(arch, 21843),
    labels: 'imagenet21k',
    resolution: 224,
    description: `BiT-M ${arch}: pre-trained on ImageNet-21k (14M images, 21843 classes)`,
  });
}
for (const arch of ARCHS) {
  registerModel({
    name: `BiT-M-${arch}-ILSVRC2012`,
    url: `BiT-M-${arch}-ILSVRC2012.npz`,
    architecture: parseArchitectureName(arch, 1000),
    labels: 'imagenet1k',
    resolution: 480,
    description: `BiT-M ${arch} fine-tuned on ILSVRC-2012 at 480 px (BiT-HyperRule)`,
  });
}
for (const res of [224, 160] as const) {
  registerModel({
    name: `BiT-M-R50x1-distilled-${res}`,
    url: `distill/R50x1_${res}.npz`,
    architecture: parseArchitectureName('R50x1', 1000),
    labels: 'imagenet1k',
    resolution: res,
    description: `R50x1 distilled from BiT-M-R152x2 on ILSVRC-2012, ${res} px`,
  });
}

registerLabels('fashion-mnist-0-4', async () => [...FASHION_MNIST_UPSTREAM_CLASSES]);

/**
 * The embedded model: a small BiT (units 1-1-1-1, width 0.5) pre-trained by this project from
 * scratch with the BiT upstream recipe on Fashion-MNIST classes 0-4, shipped in float16 with the
 * package (see bench/results/upstream.json for the command, time and accuracy). The default of
 * the demo, the web app and the docs.
 */
export const EMBEDDED_MODEL = 'BiT-FMNIST-R14x0.5';
registerModel({
  name: EMBEDDED_MODEL,
  url: `${EMBEDDED_MODEL}.npz`,
  architecture: { units: [1, 1, 1, 1], width: 0.5, numClasses: 5 },
  labels: 'fashion-mnist-0-4',
  resolution: 32,
  embedded: true,
  description:
    'Project-trained BiT (R14x0.5) on Fashion-MNIST classes 0-4 (T-shirt/top, Trouser, Pullover, Dress, Coat), 32 px; embedded',
});
