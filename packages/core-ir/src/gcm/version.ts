/**
 * Format version of the .gcm files this core-ir writes and the newest it reads.
 * Rule (also in schema/gcm.fbs): a minor bump only adds fields old readers may skip; a major
 * bump is anything else. Readers accept files with major <= GCM_VERSION.major and reject newer
 * majors with E_MODEL_FORMAT.
 */
export const GCM_VERSION = Object.freeze({ major: 1, minor: 0 });

/** FlatBuffers file identifier (bytes 8..11 of a size-prefixed .gcm file). Never changes. */
export const GCM_FILE_IDENTIFIER = 'GCM1';

/** Weight buffers start at offsets that are multiples of this, so runtimes can use them in place. */
export const GCM_TENSOR_ALIGNMENT = 64;

/** Written into every file's `producer` field. */
export const GCM_PRODUCER = '@goldcrest/core-ir';
