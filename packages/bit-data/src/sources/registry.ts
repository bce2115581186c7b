/** The source registry: format name -> plug-in ({ sniff, open }), with detection. */
import { DataArgumentError, SourceNotFoundError } from '../errors';
import { fewShot, selectClasses } from './select';
import type { DataSource, SourceOpenOptions, SourcePlugin, SourceSpec } from './types';

/** True when `input` is a `{ format, ... }` spec object. */
export function isSourceSpec(input: unknown): input is SourceSpec {
  return (
    typeof input === 'object' && input !== null && typeof (input as SourceSpec).format === 'string'
  );
}

function describe(input: unknown): string {
  if (typeof input === 'string') return JSON.stringify(input);
  if (input && typeof input === 'object')
    return `an object (${Object.keys(input).slice(0, 5).join(', ')})`;
  return String(input);
}

/** A set of source plug-ins. Registering a name again replaces the old plug-in. */
export class SourceRegistry {
  private readonly plugins = new Map<string, { plugin: SourcePlugin; order: number }>();
  private counter = 0;

  /** Adds (or replaces) a plug-in; returns this registry. */
  register(plugin: SourcePlugin): this {
    if (!plugin?.name || typeof plugin.sniff !== 'function' || typeof plugin.open !== 'function') {
      throw new DataArgumentError(
        'SourceRegistry.register: a plug-in needs name, sniff() and open()',
      );
    }
    this.plugins.set(plugin.name, { plugin, order: this.counter++ });
    return this;
  }

  /** The plug-in named `name`. */
  get(name: string): SourcePlugin {
    const p = this.plugins.get(name);
    if (!p)
      throw new SourceNotFoundError(
        `unknown source format "${name}" (registered: ${this.names().join(', ')})`,
      );
    return p.plugin;
  }

  /** Registered names, in detection order. */
  names(): string[] {
    return this.ordered().map((p) => p.name);
  }

  /** A copy of this registry (to extend without changing the original). */
  clone(): SourceRegistry {
    const r = new SourceRegistry();
    for (const p of [...this.plugins.values()].sort((a, b) => a.order - b.order))
      r.register(p.plugin);
    return r;
  }

  /** The first plug-in (highest priority, then latest registered) whose sniff accepts `input`. */
  async detect(input: unknown): Promise<SourcePlugin | undefined> {
    for (const p of this.ordered()) {
      if (await p.sniff(input)) return p;
    }
    return undefined;
  }

  /**
   * Opens `input` (anything a plug-in sniffs, or a `{ format, path, ...options }` spec), then
   * applies the generic options: `classes` (subset + relabel) and `examplesPerClass` (+ `seed`).
   */
  async open(input: unknown, options: SourceOpenOptions = {}): Promise<DataSource> {
    let plugin: SourcePlugin | undefined;
    let target: unknown = input;
    let opts: SourceOpenOptions = options;
    if (isSourceSpec(input)) {
      plugin = this.get(input.format);
      const { format: _format, path, ...rest } = input;
      target = path ?? input;
      opts = { ...rest, ...options };
    } else {
      plugin = await this.detect(input);
    }
    if (!plugin) {
      throw new SourceNotFoundError(
        `no data source recognises ${describe(input)} (formats: ${this.names().join(', ')}); pass { format, path } to choose one`,
      );
    }
    let source = await plugin.open(target, opts);
    if (opts.classes !== undefined) source = selectClasses(source, opts.classes);
    if (opts.examplesPerClass !== undefined)
      source = fewShot(source, opts.examplesPerClass, opts.seed ?? 0);
    return source;
  }

  private ordered(): SourcePlugin[] {
    return [...this.plugins.values()]
      .sort((a, b) => (b.plugin.priority ?? 0) - (a.plugin.priority ?? 0) || b.order - a.order)
      .map((p) => p.plugin);
  }
}
