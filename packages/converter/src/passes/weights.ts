/** Weight arithmetic shared by the folding rules. */
import { Tensor } from '@goldcrest/core-ir';

/**
 * W with output channel o multiplied by scale[o]. Output channels are axis 0 in every weight
 * layout core-ir uses ([O, I/g, KH, KW] and [O, KH, KW, I/g]), so each owns a contiguous block.
 */
export function scaleOutputChannels(w: Tensor, scale: ArrayLike<number>): Tensor {
  const O = w.dims[0];
  const per = w.size / O;
  const src = w.data as Float32Array;
  const out = new Float32Array(w.size);
  for (let o = 0; o < O; o++) for (let i = 0; i < per; i++) out[o * per + i] = src[o * per + i] * scale[o];
  return new Tensor('float32', out, [...w.dims]);
}
