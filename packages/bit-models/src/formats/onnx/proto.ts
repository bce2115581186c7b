/**
 * The ONNX messages the exporter writes and the one it reads back (metadata_props), with the
 * field numbers of onnx.proto3. Isomorphic.
 */
import { ProtoWriter } from './protobuf';

/** TensorProto.DataType values used here. */
export const DataType = { FLOAT: 1, INT64: 7 } as const;

/** AttributeProto.AttributeType values used here. */
const AttributeType = { FLOAT: 1, INT: 2, INTS: 7 } as const;

/** A node attribute: a number (int when `int` is set), or a list of ints. */
export type AttributeValue = { float: number } | { int: number } | { ints: readonly number[] };

/** One graph node. */
export interface OnnxNode {
  readonly op: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly name?: string;
  readonly attributes?: Readonly<Record<string, AttributeValue>>;
}

/** Where an external initializer's bytes are: a file beside the model, at `offset`. */
export interface OnnxExternalLocation {
  /** File name relative to the model's folder (ONNX's `location`). */
  readonly location: string;
  readonly offset: number;
  readonly length: number;
}

/**
 * An initializer: float32 data (raw, little-endian) or int64 values, written inline; or, with
 * `external`, only its name, type and dims, its bytes being in the external data file.
 */
export interface OnnxTensor {
  readonly name: string;
  readonly dims: readonly number[];
  readonly data: Float32Array | BigInt64Array;
  readonly external?: OnnxExternalLocation;
}

/** A graph input or output: float32 tensor whose dims are numbers or symbolic names. */
export interface OnnxValueInfo {
  readonly name: string;
  readonly dims: ReadonlyArray<number | string>;
}

/** A whole model. */
export interface OnnxModel {
  readonly graphName: string;
  readonly nodes: readonly OnnxNode[];
  readonly initializers: readonly OnnxTensor[];
  readonly inputs: readonly OnnxValueInfo[];
  readonly outputs: readonly OnnxValueInfo[];
  readonly opset: number;
  readonly irVersion: number;
  readonly producer: { name: string; version: string };
  readonly docString?: string;
  readonly metadata: Readonly<Record<string, string>>;
}

function littleEndianBytes(data: Float32Array | BigInt64Array): Uint8Array {
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  // Typed arrays use the platform's byte order; every supported platform is little-endian, but
  // check rather than assume (raw_data is little-endian by definition).
  if (new Uint8Array(new Uint16Array([1]).buffer)[0] === 1) return bytes;
  const out = new Uint8Array(bytes.length);
  const width = data.BYTES_PER_ELEMENT;
  for (let i = 0; i < bytes.length; i += width)
    for (let j = 0; j < width; j++) out[i + j] = bytes[i + width - 1 - j];
  return out;
}

/** TensorProto.DataLocation.EXTERNAL. */
const DATA_LOCATION_EXTERNAL = 1;

function tensorProto(t: OnnxTensor): ProtoWriter {
  const w = new ProtoWriter().packedInts(1, t.dims);
  w.int(2, t.data instanceof Float32Array ? DataType.FLOAT : DataType.INT64);
  w.string(8, t.name);
  if (t.external) {
    const entries: Array<[string, string]> = [
      ['location', t.external.location],
      ['offset', String(t.external.offset)],
      ['length', String(t.external.length)],
    ];
    for (const [key, value] of entries) {
      w.message(13, new ProtoWriter().string(1, key).string(2, value));
    }
    w.int(14, DATA_LOCATION_EXTERNAL);
  } else {
    w.bytes(9, littleEndianBytes(t.data));
  }
  return w;
}

/** The little-endian bytes of an initializer's data (what raw_data or the external file holds). */
export function tensorBytes(data: Float32Array | BigInt64Array): Uint8Array {
  return littleEndianBytes(data);
}

function valueInfo(v: OnnxValueInfo): ProtoWriter {
  const shape = new ProtoWriter();
  for (const d of v.dims) {
    const dim = new ProtoWriter();
    if (typeof d === 'number') dim.int(1, d);
    else dim.string(2, d);
    shape.message(1, dim);
  }
  const tensorType = new ProtoWriter().int(1, DataType.FLOAT).message(2, shape);
  const type = new ProtoWriter().message(1, tensorType);
  return new ProtoWriter().string(1, v.name).message(2, type);
}

function attribute(name: string, value: AttributeValue): ProtoWriter {
  const w = new ProtoWriter().string(1, name);
  if ('float' in value) w.float(2, value.float).int(20, AttributeType.FLOAT);
  else if ('int' in value) w.int(3, value.int).int(20, AttributeType.INT);
  else w.packedInts(8, value.ints).int(20, AttributeType.INTS);
  return w;
}

function nodeProto(n: OnnxNode): ProtoWriter {
  const w = new ProtoWriter();
  for (const i of n.inputs) w.string(1, i);
  for (const o of n.outputs) w.string(2, o);
  if (n.name) w.string(3, n.name);
  w.string(4, n.op);
  for (const [k, v] of Object.entries(n.attributes ?? {})) w.message(5, attribute(k, v));
  return w;
}

/** Encodes a model as ONNX protobuf bytes (ModelProto). */
export function encodeOnnxModel(m: OnnxModel): Uint8Array {
  const graph = new ProtoWriter();
  for (const n of m.nodes) graph.message(1, nodeProto(n));
  graph.string(2, m.graphName);
  for (const t of m.initializers) graph.message(5, tensorProto(t));
  for (const i of m.inputs) graph.message(11, valueInfo(i));
  for (const o of m.outputs) graph.message(12, valueInfo(o));
  const model = new ProtoWriter()
    .int(1, m.irVersion)
    .string(2, m.producer.name)
    .string(3, m.producer.version);
  if (m.docString) model.string(6, m.docString);
  model.message(7, graph);
  model.message(8, new ProtoWriter().string(1, '').int(2, m.opset));
  for (const [key, value] of Object.entries(m.metadata)) {
    model.message(14, new ProtoWriter().string(1, key).string(2, value));
  }
  return model.finish();
}

/** Reads a varint at `at`; returns [value, next offset], or null when the bytes end first. */
function readVarint(b: Uint8Array, at: number): [number, number] | null {
  let value = 0;
  let scale = 1;
  for (let i = at; i < b.length && i < at + 10; i++) {
    value += (b[i] & 0x7f) * scale;
    scale *= 128;
    if ((b[i] & 0x80) === 0) return [value, i + 1];
  }
  return null;
}

/** The top-level fields of a protobuf message; null when the bytes are not one. */
function topLevelFields(
  b: Uint8Array,
): Array<{ field: number; wire: number; value: number; bytes?: Uint8Array }> | null {
  const out: Array<{ field: number; wire: number; value: number; bytes?: Uint8Array }> = [];
  let at = 0;
  while (at < b.length) {
    const tag = readVarint(b, at);
    if (!tag) return null;
    const field = Math.floor(tag[0] / 8);
    const wire = tag[0] % 8;
    at = tag[1];
    if (field === 0) return null;
    if (wire === WIRE.varint) {
      const v = readVarint(b, at);
      if (!v) return null;
      out.push({ field, wire, value: v[0] });
      at = v[1];
    } else if (wire === WIRE.bytes) {
      const len = readVarint(b, at);
      if (!len || len[1] + len[0] > b.length) return null;
      out.push({ field, wire, value: len[0], bytes: b.subarray(len[1], len[1] + len[0]) });
      at = len[1] + len[0];
    } else if (wire === WIRE.fixed32 || wire === WIRE.fixed64) {
      at += wire === WIRE.fixed32 ? 4 : 8;
      if (at > b.length) return null;
      out.push({ field, wire, value: 0 });
    } else return null;
  }
  return out;
}

const WIRE = { varint: 0, fixed64: 1, bytes: 2, fixed32: 5 } as const;

/** What {@link readOnnxHeader} finds at the top of an ONNX file. */
export interface OnnxHeader {
  readonly irVersion: number;
  readonly producer: string;
  readonly hasGraph: boolean;
  readonly metadata: Record<string, string>;
}

/**
 * Reads the top level of a ModelProto (IR version, producer, whether there is a graph, and
 * metadata_props) without decoding the graph. Null when the bytes are no ModelProto.
 */
export function readOnnxHeader(bytes: Uint8Array): OnnxHeader | null {
  const fields = topLevelFields(bytes);
  if (!fields) return null;
  const decoder = new TextDecoder();
  let irVersion = 0;
  let producer = '';
  let hasGraph = false;
  const metadata: Record<string, string> = {};
  for (const f of fields) {
    if (f.field === 1 && f.wire === WIRE.varint) irVersion = f.value;
    else if (f.field === 2 && f.bytes) producer = decoder.decode(f.bytes);
    else if (f.field === 7 && f.bytes) hasGraph = true;
    else if (f.field === 14 && f.bytes) {
      const entry = topLevelFields(f.bytes);
      if (!entry) return null;
      const key = entry.find((e) => e.field === 1)?.bytes;
      const value = entry.find((e) => e.field === 2)?.bytes;
      if (key) metadata[decoder.decode(key)] = value ? decoder.decode(value) : '';
    }
  }
  if (irVersion === 0 || !hasGraph) return null;
  return { irVersion, producer, hasGraph, metadata };
}

/**
 * The external data files a ModelProto's initializers refer to (their `location`s, each once,
 * in order of first use); empty when every initializer is inline. Null when the bytes are no
 * ModelProto.
 */
export function readOnnxExternalLocations(bytes: Uint8Array): string[] | null {
  const fields = topLevelFields(bytes);
  if (!fields) return null;
  const decoder = new TextDecoder();
  const locations: string[] = [];
  for (const f of fields) {
    if (f.field !== 7 || !f.bytes) continue;
    const graph = topLevelFields(f.bytes);
    if (!graph) return null;
    for (const g of graph) {
      if (g.field !== 5 || !g.bytes) continue;
      const tensor = topLevelFields(g.bytes);
      if (!tensor) return null;
      for (const t of tensor) {
        if (t.field !== 13 || !t.bytes) continue;
        const entry = topLevelFields(t.bytes);
        const key = entry?.find((e) => e.field === 1)?.bytes;
        const value = entry?.find((e) => e.field === 2)?.bytes;
        if (key && value && decoder.decode(key) === 'location') {
          const location = decoder.decode(value);
          if (!locations.includes(location)) locations.push(location);
        }
      }
    }
  }
  return locations;
}
