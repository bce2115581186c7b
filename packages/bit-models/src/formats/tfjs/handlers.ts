/** Turning a URL string (or a handler) into one tf.io handler that can save or load. */
import * as tf from '@tensorflow/tfjs-core';

import { TfjsFormatError } from './errors';

function describe(handlerOrUrl: unknown): string {
  return typeof handlerOrUrl === 'string' ? handlerOrUrl : '<IOHandler>';
}

/**
 * The save handler for `handlerOrUrl`: the handler itself, or the one tf.io's routers give
 * for a URL (`indexeddb://`, `localstorage://`, `downloads://`, `http(s)://`, ...).
 * @throws TfjsFormatError `no-handler` when there is none, several, or it cannot save.
 */
export function resolveSaveHandler(handlerOrUrl: string | tf.io.IOHandler): tf.io.IOHandler {
  const handler = resolve(handlerOrUrl, 'save');
  if (typeof handler.save !== 'function') {
    throw new TfjsFormatError('no-handler', describe(handlerOrUrl), 'the IOHandler has no save()');
  }
  return handler;
}

/**
 * The load handler for `handlerOrUrl` (see resolveSaveHandler).
 * @throws TfjsFormatError `no-handler` when there is none, several, or it cannot load.
 */
export function resolveLoadHandler(
  handlerOrUrl: string | tf.io.IOHandler,
  loadOptions?: tf.io.LoadOptions,
): tf.io.IOHandler {
  const handler = resolve(handlerOrUrl, 'load', loadOptions);
  if (typeof handler.load !== 'function') {
    throw new TfjsFormatError('no-handler', describe(handlerOrUrl), 'the IOHandler has no load()');
  }
  return handler;
}

function resolve(
  handlerOrUrl: string | tf.io.IOHandler,
  kind: 'save' | 'load',
  loadOptions?: tf.io.LoadOptions,
): tf.io.IOHandler {
  if (typeof handlerOrUrl !== 'string') {
    if (typeof handlerOrUrl !== 'object' || handlerOrUrl === null) {
      throw new TfjsFormatError(
        'no-handler',
        String(handlerOrUrl),
        'expected a URL string or a tf.io IOHandler',
      );
    }
    return handlerOrUrl;
  }
  const handlers =
    kind === 'save'
      ? tf.io.getSaveHandlers(handlerOrUrl)
      : tf.io.getLoadHandlers(handlerOrUrl, loadOptions);
  if (handlers.length === 0) {
    throw new TfjsFormatError(
      'no-handler',
      handlerOrUrl,
      `no tf.io ${kind} handler for this URL (in the browser: indexeddb://, localstorage://, ` +
        `downloads://, http(s)://; in Node pass fileSystemHandler(dir) from @bit/models/node)`,
    );
  }
  if (handlers.length > 1) {
    throw new TfjsFormatError(
      'no-handler',
      handlerOrUrl,
      `${handlers.length} tf.io ${kind} handlers match this URL; pass an IOHandler instead`,
    );
  }
  return handlers[0];
}
