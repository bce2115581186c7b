import type { Options } from 'tsup';

/** Shared tsup settings: ESM + CJS with .d.ts, tfjs left to the application (peer deps). */
export function libraryConfig(
  entry: Record<string, string>,
  extra: Partial<Options> = {},
): Options {
  return {
    entry,
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: true,
    clean: true,
    target: 'es2022',
    platform: 'neutral',
    // Shared chunks, so an entry and its ./node entry share one copy of classes and registries.
    splitting: true,
    treeshake: true,
    external: [/^@tensorflow\//, /^@bit\//, /^node:/],
    ...extra,
  };
}
