export { foldConstants, reshapeOwnDimsRule, type FoldOptions } from './fold-constants.js';
export { foldBatchNormRule, foldBatchNormRules } from './fold-batchnorm.js';
export { activationOf, biasRules, fuseActivationRule, fuseActivationRules, hardSwishRules } from './fuse-activations.js';
export {
  TO_NCHW,
  TO_NHWC,
  cancelTransposesRule,
  convertToNHWC,
  layoutCleanupRules,
  noopRule,
  permuteConstantFor,
  reshapeReshapeRule,
  sinkBinaryRule,
  sinkUnaryRule,
  transposeTensor,
  transposeToReshapeRule,
} from './to-nhwc.js';
export { optimize, simplifyRules, type OptimizeOptions, type OptimizeReport, type PassReport } from './optimize.js';
export { eliminateDeadCode } from '@goldcrest/rewrite';
export { maxRelDiff, opHistogram, randomFeeds, randomTensor, rng, runReference } from './testing.js';
