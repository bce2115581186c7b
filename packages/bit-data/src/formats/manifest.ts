/**
 * CSV and JSONL manifests: one example per row, an image path and a label. CSV needs a
 * header naming a path column (`path`, `image`, `file`, `filename` or `filepath`) and a
 * `label` column (also `class`, `category`, `target`); JSONL lines are objects with the
 * same keys. An optional `split` column/key keeps the rows of one split. Labels are class
 * names (classes sorted by name) or integers (classes '0'..max, or the names given).
 */
import Papa from 'papaparse';
import { DataFormatError } from '../errors';

/** One manifest row. */
export interface ManifestEntry {
  readonly path: string;
  readonly label: string | number;
  readonly split?: string;
  /** 1-based line number, for messages. */
  readonly line: number;
}

const PATH_KEYS = ['path', 'image', 'file', 'filename', 'filepath', 'image_path'];
const LABEL_KEYS = ['label', 'class', 'category', 'target'];

/**
 * Splits CSV text into rows of fields with papaparse (RFC 4180: quoted fields with commas,
 * doubled quotes and line breaks, CRLF), each with the 1-based line it starts on. Blank lines
 * are skipped.
 *
 * @throws DataFormatError naming `name` and the line for an unterminated quoted field.
 */
export function parseCsvRows(
  text: string,
  name = 'manifest.csv',
): { fields: string[]; line: number }[] {
  const rows: { fields: string[]; line: number }[] = [];
  // One kind of line break (files mix CRLF and LF), so papaparse need not guess it.
  const unix = text.replace(/\r\n?/g, '\n');
  let counted = 0; // unix[0, counted) has been scanned for line breaks
  let line = 1;
  let start = 0; // where the current row starts: the previous row's cursor, past blank lines
  Papa.parse<string[]>(unix, {
    delimiter: ',',
    newline: '\n',
    skipEmptyLines: true,
    step: (result) => {
      while (unix[start] === '\n') start++;
      for (; counted < start; counted++) if (unix[counted] === '\n') line++;
      const quotes = result.errors.find((e) => e.type === 'Quotes');
      if (quotes) {
        throw new DataFormatError(`${name}:${line}: ${quotes.message.toLowerCase()}`, name);
      }
      rows.push({ fields: result.data, line });
      start = result.meta.cursor;
    },
  });
  return rows;
}

function pickKey(keys: string[], wanted: string[]): number {
  const lower = keys.map((k) => k.trim().toLowerCase());
  for (const w of wanted) {
    const i = lower.indexOf(w);
    if (i >= 0) return i;
  }
  return -1;
}

function labelValue(raw: unknown): string | number {
  if (typeof raw === 'number') return raw;
  const s = String(raw).trim();
  return /^\d+$/.test(s) ? Number(s) : s;
}

/** Parses a CSV manifest. `name` (the file) is used in error messages. */
export function parseCsvManifest(text: string, name = 'manifest.csv'): ManifestEntry[] {
  const rows = parseCsvRows(text.replace(/^\uFEFF/, ''), name);
  if (rows.length === 0) throw new DataFormatError(`${name}: the manifest is empty`, name);
  const header = rows[0].fields;
  const pi = pickKey(header, PATH_KEYS);
  const li = pickKey(header, LABEL_KEYS);
  if (pi < 0 || li < 0) {
    throw new DataFormatError(
      `${name}: the header needs a path column (${PATH_KEYS.join('/')}) and a label column (${LABEL_KEYS.join('/')}); got ${header.join(',')}`,
      name,
    );
  }
  const si = pickKey(header, ['split']);
  return rows.slice(1).map(({ fields, line }) => {
    const path = fields[pi]?.trim();
    const label = fields[li]?.trim();
    if (!path || label === undefined || label === '') {
      throw new DataFormatError(`${name}:${line}: the row needs a path and a label`, name);
    }
    return {
      path,
      label: labelValue(label),
      line,
      ...(si >= 0 ? { split: fields[si]?.trim() } : {}),
    };
  });
}

/** Parses a JSONL manifest (one JSON object per line; blank lines allowed). */
export function parseJsonlManifest(text: string, name = 'manifest.jsonl'): ManifestEntry[] {
  const out: ManifestEntry[] = [];
  text
    .replace(/^\uFEFF/, '')
    .split(/\r?\n/)
    .forEach((raw, i) => {
      const lineText = raw.trim();
      if (!lineText) return;
      let obj: Record<string, unknown>;
      try {
        obj = JSON.parse(lineText);
      } catch (e) {
        throw new DataFormatError(
          `${name}:${i + 1}: not valid JSON (${(e as Error).message})`,
          name,
        );
      }
      if (typeof obj !== 'object' || obj === null)
        throw new DataFormatError(`${name}:${i + 1}: expected an object`, name);
      const keys = Object.keys(obj);
      const pk = keys[pickKey(keys, PATH_KEYS)];
      const lk = keys[pickKey(keys, LABEL_KEYS)];
      if (
        pk === undefined ||
        lk === undefined ||
        typeof obj[pk] !== 'string' ||
        obj[lk] === null ||
        obj[lk] === undefined
      ) {
        throw new DataFormatError(
          `${name}:${i + 1}: the object needs a string "path" and a "label"`,
          name,
        );
      }
      const sk = keys[pickKey(keys, ['split'])];
      out.push({
        path: obj[pk] as string,
        label: labelValue(obj[lk]),
        line: i + 1,
        ...(sk !== undefined ? { split: String(obj[sk]) } : {}),
      });
    });
  if (out.length === 0) throw new DataFormatError(`${name}: the manifest is empty`, name);
  return out;
}

/**
 * Turns manifest labels into class indices. Integer labels are kept (classes '0'..max, or
 * `classNames`); name labels map to the classes sorted by name (or to `classNames`' order).
 */
export function resolveManifestLabels(
  entries: readonly ManifestEntry[],
  classNames?: readonly string[],
  name = 'manifest',
): { labels: Int32Array; classes: string[] } {
  const numeric = entries.every((e) => typeof e.label === 'number');
  const labels = new Int32Array(entries.length);
  if (numeric) {
    let max = -1;
    entries.forEach((e, i) => {
      labels[i] = e.label as number;
      max = Math.max(max, labels[i]);
    });
    const classes = classNames
      ? [...classNames]
      : Array.from({ length: max + 1 }, (_, i) => String(i));
    if (max >= classes.length)
      throw new DataFormatError(
        `${name}: label ${max} but only ${classes.length} class names`,
        name,
      );
    return { labels, classes };
  }
  const classes = classNames
    ? [...classNames]
    : [...new Set(entries.map((e) => String(e.label)))].sort();
  const index = new Map(classes.map((c, i) => [c, i]));
  entries.forEach((e, i) => {
    const k = index.get(String(e.label));
    if (k === undefined)
      throw new DataFormatError(`${name}:${e.line}: unknown class "${e.label}"`, name);
    labels[i] = k;
  });
  return { labels, classes };
}
