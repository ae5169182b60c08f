// The .gcm model file: FlatBuffers schema in ../../schema/gcm.fbs, bindings in ./generated.
export { serializeGraph } from './write.js';
export { deserializeGraph, isGcm, readGcmHeader, GCM_MAX_GRAPH_DEPTH, type GcmHeader } from './read.js';
export { GCM_VERSION, GCM_FILE_IDENTIFIER, GCM_TENSOR_ALIGNMENT } from './version.js';
