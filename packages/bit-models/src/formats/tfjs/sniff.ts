/** Recognising a TF.js LayersModel (model.json, or a directory holding one) from a few bytes. */

/** Name of the model file in a TF.js model directory. */
export const MODEL_JSON = 'model.json';

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/**
 * True when `headBytes` (the first bytes of a file; the whole file or a prefix) look like a
 * LayersModel model.json: a JSON object with `modelTopology` and a `weightsManifest` list
 * (a prefix too short to parse needs a `"modelTopology"` key), and not a graph model.
 * For a directory, pass its entry names as `entries`: true when they include model.json.
 * @param name the file's or directory's name (path or URL); informative only.
 */
export function sniffTfjs(
  name: string,
  headBytes?: Uint8Array | null,
  entries?: readonly string[],
): boolean {
  if (entries !== undefined) return entries.includes(MODEL_JSON);
  if (headBytes == null || headBytes.length === 0 || typeof name !== 'string') return false;
  let text = new TextDecoder('utf-8').decode(headBytes);
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  text = text.trimStart();
  if (!text.startsWith('{')) return false;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    // A prefix of a longer file: judge by its keys.
    return /"modelTopology"\s*:/.test(text) && !/"format"\s*:\s*"graph-model"/.test(text);
  }
  return (
    isObject(parsed) &&
    isObject(parsed.modelTopology) &&
    Array.isArray(parsed.weightsManifest) &&
    parsed.format !== 'graph-model'
  );
}
