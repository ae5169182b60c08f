export {
  type Pattern,
  type OpPattern,
  type AnyPattern,
  type ConstPattern,
  type OptionalPattern,
  type Match,
  type MatchContext,
  op,
  any,
  constant,
  scalar,
  optional,
  allClose,
  countUses,
  constValue,
  matchPattern,
  findMatches,
} from './pattern.js';
export { type Rule, type ApplyOptions, type ApplyResult, applyRules, mergeCounts } from './driver.js';
export { replaceNode, insertBefore, useCount, isDead, removeIfDead, removeDeadUpstream, bypass } from './edit.js';
export { type DceResult, eliminateDeadCode } from './dce.js';
