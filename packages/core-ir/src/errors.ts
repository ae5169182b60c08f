/** Stable error codes shared by every Goldcrest package and the native boundary. */
export type ErrorCode =
  | 'E_MODEL_FORMAT' // unreadable, truncated or corrupted model file
  | 'E_UNSUPPORTED_OP' // op (or attribute value) the frontend/runtime cannot handle
  | 'E_SHAPE' // shape inference found incompatible dims
  | 'E_DTYPE' // wrong element type
  | 'E_FEED' // a session.run feed is missing, unknown or of the wrong dtype/shape
  | 'E_GRAPH' // structural problem: dangling value, cycle, duplicate name
  | 'E_ATTR' // missing or ill-typed attribute
  | 'E_IO' // reading or writing a file failed
  | 'E_ARGUMENT' // an API or CLI argument is invalid
  | 'E_RUNTIME' // the native runtime failed while executing
  | 'E_INTERNAL'; // a bug in Goldcrest

/** Base class of every error Goldcrest throws on purpose. `code` is stable; the message names what is wrong. */
export class GoldcrestError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = 'GoldcrestError';
  }
}

export const modelFormatError = (msg: string, cause?: unknown) => new GoldcrestError('E_MODEL_FORMAT', msg, { cause });
export const unsupportedOpError = (msg: string) => new GoldcrestError('E_UNSUPPORTED_OP', msg);
export const shapeError = (msg: string) => new GoldcrestError('E_SHAPE', msg);
export const feedError = (msg: string) => new GoldcrestError('E_FEED', msg);
export const graphError = (msg: string) => new GoldcrestError('E_GRAPH', msg);
export const attrError = (msg: string) => new GoldcrestError('E_ATTR', msg);
