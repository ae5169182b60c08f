import type { DType } from '../dtype.js';
import { GoldcrestError, attrError, unsupportedOpError } from '../errors.js';
import type { AttrValue, Attrs, Node } from '../graph.js';
import type { Shape } from '../shape.js';
import type { Tensor } from '../tensor.js';

export type AttrType = 'int' | 'float' | 'string' | 'bool' | 'ints' | 'floats' | 'strings' | 'tensor' | 'graph';

export interface AttrSpec {
  type: AttrType;
  /** Omitted default = required attribute. */
  default?: AttrValue;
  /** Allowed values of a string attribute. */
  oneOf?: readonly string[];
  doc?: string;
}

export interface PortSpec {
  name: string;
  optional?: boolean;
  /** Last input only: takes any number (>= 1) of values. */
  variadic?: boolean;
}

/** What shape/dtype inference sees of one input. `value` is set when the input is constant (or already folded). */
export interface InferInput {
  dtype: DType;
  shape: Shape | undefined;
  value?: Tensor;
}

export interface InferContext {
  node: Node;
  /** `undefined` entries are omitted optional inputs. */
  inputs: (InferInput | undefined)[];
  /** Attributes with schema defaults filled in. */
  attrs: Attrs;
}

export interface InferredOutput {
  dtype: DType;
  /** `undefined` when it depends on data not known at this time (e.g. Reshape by a runtime tensor). */
  shape: Shape | undefined;
}

export interface OpSchema {
  name: string;
  doc: string;
  inputs: PortSpec[];
  outputs: PortSpec[];
  attrs: Record<string, AttrSpec>;
  /** Dtype rule and shape inference in one pure function. Throws E_SHAPE / E_DTYPE naming the node. */
  infer(ctx: InferContext): InferredOutput[];
  /**
   * Optional reference evaluation on small constant tensors: lets constant folding and
   * shape-subgraph folding compute values (Shape, Gather, Concat, Cast, arithmetic...).
   */
  evaluate?(inputs: (Tensor | undefined)[], attrs: Attrs): Tensor[];
}

const REGISTRY = new Map<string, OpSchema>();

/** Declares an op once; every other artefact (TS attr types, .gcm enum, C++ kernel table) derives from here. */
export function defineOp(schema: OpSchema): OpSchema {
  if (REGISTRY.has(schema.name)) throw new GoldcrestError('E_INTERNAL', `op '${schema.name}' defined twice`);
  REGISTRY.set(schema.name, schema);
  return schema;
}

export function hasSchema(op: string): boolean {
  return REGISTRY.has(op);
}

export function getSchema(op: string): OpSchema {
  const s = REGISTRY.get(op);
  if (!s) throw unsupportedOpError(`op '${op}' has no core-ir schema`);
  return s;
}

/** All schemas, sorted by name (stable order for generated enums). */
export function allSchemas(): OpSchema[] {
  return [...REGISTRY.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

function checkAttrType(node: Node, name: string, spec: AttrSpec, v: AttrValue): void {
  const bad = () => attrError(`node '${node.name}' (${node.op}): attribute '${name}' must be ${spec.type}, got ${JSON.stringify(v)}`);
  switch (spec.type) {
    case 'int': if (typeof v !== 'number' || !Number.isInteger(v)) throw bad(); break;
    case 'float': if (typeof v !== 'number') throw bad(); break;
    case 'bool': if (typeof v !== 'boolean') throw bad(); break;
    case 'string':
      if (typeof v !== 'string') throw bad();
      if (spec.oneOf && !spec.oneOf.includes(v)) {
        throw attrError(`node '${node.name}' (${node.op}): attribute '${name}' is '${v}', expected one of ${spec.oneOf.join(', ')}`);
      }
      break;
    case 'ints': if (!Array.isArray(v) || !v.every((x) => typeof x === 'number' && Number.isInteger(x))) throw bad(); break;
    case 'floats': if (!Array.isArray(v) || !v.every((x) => typeof x === 'number')) throw bad(); break;
    case 'strings': if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw bad(); break;
    default: break;
  }
}

/** The node's attributes with defaults filled in, checked against the schema. */
export function resolveAttrs(node: Node): Attrs {
  const s = getSchema(node.op);
  const out: Attrs = {};
  for (const [name, spec] of Object.entries(s.attrs)) {
    const v = node.attrs[name] ?? spec.default;
    if (v === undefined) throw attrError(`node '${node.name}' (${node.op}): required attribute '${name}' is missing`);
    checkAttrType(node, name, spec, v);
    out[name] = v;
  }
  for (const name of Object.keys(node.attrs)) {
    if (!(name in s.attrs)) throw attrError(`node '${node.name}' (${node.op}): unknown attribute '${name}' (known: ${Object.keys(s.attrs).join(', ') || 'none'})`);
  }
  return out;
}
