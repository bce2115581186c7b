/**
 * Generic async-iterator combinators: map, buffered shuffle, repeat, batch, prefetch, take.
 * A Stream is re-iterable: it holds a factory, so `repeat` can start it again.
 */
import { DataArgumentError } from '../errors';
import { Rng } from '../random/rng';

type Source<T> = () => AsyncIterator<T> | Iterator<T>;

function iterate<T>(items: AsyncIterable<T> | Iterable<T>): Source<T> {
  return () =>
    Symbol.asyncIterator in items
      ? (items as AsyncIterable<T>)[Symbol.asyncIterator]()
      : (items as Iterable<T>)[Symbol.iterator]();
}

/** A re-iterable, chainable async stream. */
export class Stream<T> implements AsyncIterable<T> {
  constructor(private readonly factory: Source<T>) {}

  /** A stream over an (async) iterable, or a factory of iterators. */
  static from<T>(
    items: AsyncIterable<T> | Iterable<T> | (() => AsyncIterator<T> | Iterator<T>),
  ): Stream<T> {
    return new Stream(typeof items === 'function' ? items : iterate(items));
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<T> {
    const it = this.factory();
    try {
      for (;;) {
        const r = await it.next();
        if (r.done) return;
        yield r.value;
      }
    } finally {
      await it.return?.();
    }
  }

  /** Applies `fn` to each element, keeping order; up to `concurrency` calls run at once. */
  map<U>(fn: (value: T) => U | Promise<U>, concurrency = 1): Stream<U> {
    if (concurrency <= 1) {
      return new Stream(() => mapSerial(this, fn));
    }
    const started = (v: T): { p: Promise<U> } => {
      const p = Promise.resolve().then(() => fn(v));
      p.catch(() => undefined); // surfaced when awaited below, in order
      return { p };
    };
    return new Stream(() => prefetchIterator(mapSerial(this, started), concurrency)).pipe(
      async function* (src) {
        for await (const v of src) yield await v.p;
      },
    );
  }

  /**
   * Buffered shuffle (as tf.data's): fills a buffer of `bufferSize` elements, emits a random
   * one and puts the next input element in its place. A new Rng(seed) per iteration, unless
   * an Rng is passed (then each iteration continues it).
   */
  shuffle(bufferSize: number, seed: number | Rng = 0): Stream<T> {
    if (!Number.isInteger(bufferSize) || bufferSize <= 0) {
      throw new DataArgumentError(
        `shuffle: bufferSize must be a positive integer, got ${bufferSize}`,
      );
    }
    return this.pipe(async function* (src) {
      const rng = typeof seed === 'number' ? new Rng(seed) : seed;
      const buffer: T[] = [];
      for await (const v of src) {
        if (buffer.length < bufferSize) {
          buffer.push(v);
          continue;
        }
        const j = rng.nextInt(buffer.length);
        const out = buffer[j];
        buffer[j] = v;
        yield out;
      }
      while (buffer.length) {
        const j = rng.nextInt(buffer.length);
        const out = buffer[j];
        buffer[j] = buffer[buffer.length - 1];
        buffer.pop();
        yield out;
      }
    });
  }

  /** Runs the stream `count` times (default: forever). */
  repeat(count = Infinity): Stream<T> {
    return new Stream(() => repeatGenerator(this, count));
  }

  /** Groups elements into arrays of `size` (the last one shorter unless `dropRemainder`). */
  batch(size: number, dropRemainder = false): Stream<T[]> {
    if (!Number.isInteger(size) || size <= 0)
      throw new DataArgumentError(`batch: size must be a positive integer, got ${size}`);
    return this.pipe(async function* (src) {
      let group: T[] = [];
      for await (const v of src) {
        group.push(v);
        if (group.length === size) {
          yield group;
          group = [];
        }
      }
      if (group.length && !dropRemainder) yield group;
    });
  }

  /** Computes up to `count` elements ahead of the consumer. */
  prefetch(count = 2): Stream<T> {
    if (count <= 0) return this;
    return new Stream(() => prefetchIterator(this[Symbol.asyncIterator](), count));
  }

  /** The first `count` elements. */
  take(count: number): Stream<T> {
    return this.pipe(async function* (src) {
      if (count <= 0) return;
      let i = 0;
      for await (const v of src) {
        yield v;
        if (++i >= count) return;
      }
    });
  }

  /** Collects every element (finite streams only). */
  async toArray(): Promise<T[]> {
    const out: T[] = [];
    for await (const v of this) out.push(v);
    return out;
  }

  /** Applies an async-generator transform to this stream. */
  pipe<U>(fn: (src: AsyncIterable<T>) => AsyncGenerator<U>): Stream<U> {
    return new Stream(() => fn(this));
  }
}

async function* repeatGenerator<T>(stream: Stream<T>, count: number): AsyncGenerator<T> {
  for (let i = 0; i < count; i++) {
    let any = false;
    for await (const v of stream) {
      any = true;
      yield v;
    }
    if (!any) return; // an empty stream would loop forever
  }
}

async function* mapSerial<T, U>(
  src: AsyncIterable<T>,
  fn: (v: T) => U | Promise<U>,
): AsyncGenerator<U> {
  for await (const v of src) yield await fn(v);
}

/**
 * Wraps an async iterator so that up to `count` `next()` calls are in flight ahead of the
 * consumer. Errors surface at the element where they happened.
 */
export function prefetchIterator<T>(it: AsyncIterator<T>, count: number): AsyncIterator<T> {
  const queue: Promise<IteratorResult<T>>[] = [];
  let done = false;
  const fill = (): void => {
    while (!done && queue.length < count) {
      const p = it.next();
      queue.push(p);
      p.then(
        (r) => {
          if (r.done) done = true;
        },
        () => {
          done = true;
        },
      );
    }
  };
  return {
    async next(): Promise<IteratorResult<T>> {
      fill();
      const p = queue.shift();
      if (!p) return { done: true, value: undefined };
      const r = await p;
      if (!r.done) fill();
      return r;
    },
    async return(): Promise<IteratorResult<T>> {
      done = true;
      // Let in-flight work settle before closing the source.
      await Promise.allSettled(queue.splice(0));
      await it.return?.();
      return { done: true, value: undefined };
    },
  };
}
