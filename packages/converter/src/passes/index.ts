export { foldConstants, reshapeOwnDimsRule, type FoldOptions } from './fold-constants.js';
export { foldBatchNormRule, foldBatchNormRules } from './fold-batchnorm.js';
export { activationOf, biasRules, convScaleRule, fuseActivationRule, fuseActivationRules, hardSwishRules } from './fuse-activations.js';
export {
  TO_NCHW,
  TO_NHWC,
  cancelTransposesRule,
  cleanupLayout,
  convertToNHWC,
  layoutCleanupRules,
  layoutFinishRules,
  permuteConstantFor,
  sinkBinaryRule,
  sinkConcatRule,
  sinkUnaryRule,
  transposeTensor,
} from './to-nhwc.js';
export { finishRules, formatOptimizeReport, optimize, simplifyRules, type OptimizeOptions, type OptimizeReport, type PassReport } from './optimize.js';
export { eliminateDeadCode } from '@goldcrest/rewrite';
export { maxRelDiff, opHistogram, randomFeeds, randomTensor, rng, runReference } from './testing.js';
export { noopRule, reshapeReshapeRule, reshapeTargetFor, simplifyShapeRules, transposeToReshapeRule } from './simplify.js';
