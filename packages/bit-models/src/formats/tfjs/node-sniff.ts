/** Recognising a TF.js LayersModel on disk (a model.json, or a directory holding one). Node-only. */
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';

import { MODEL_JSON, sniffTfjs } from './sniff';

/** Bytes of a file's head that sniffTfjsPath reads. */
const HEAD_BYTES = 64 * 1024;

async function readHead(file: string): Promise<Uint8Array> {
  const handle = await fsp.open(file, 'r');
  try {
    const buffer = new Uint8Array(HEAD_BYTES);
    const { bytesRead } = await handle.read(buffer, 0, HEAD_BYTES, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

/**
 * True when `target` is a LayersModel model.json, or a directory whose model.json is one
 * (judged by sniffTfjs on the file's first 64 KiB). False for anything else or a missing path.
 */
export async function sniffTfjsPath(target: string): Promise<boolean> {
  try {
    const stat = await fsp.stat(target);
    if (stat.isDirectory()) {
      const entries = await fsp.readdir(target);
      if (!sniffTfjs(target, null, entries)) return false;
      const file = path.join(target, MODEL_JSON);
      return sniffTfjs(file, await readHead(file));
    }
    return sniffTfjs(target, await readHead(target));
  } catch {
    return false;
  }
}
