// Inference BatchNorm, NHWC, float32 (the converter folds it into a preceding conv when it can;
// this runs the rest). Inputs X, scale, bias, mean, var (constants); floats [epsilon].
// Folded at build time into y = x * a[c] + b[c].
#include <algorithm>
#include <cmath>

#include "runtime/operators/common.h"

namespace gc {
namespace {

class BatchNormOp final : public Operator {
 public:
  explicit BatchNormOp(const BuildContext& b) {
    const TensorDesc& x = b.FloatInput(0);
    if (x.dims.empty()) b.Fail(Status::kShape, "BatchNorm input needs a channel axis");
    x_ = b.InId(0);
    y_ = b.OutId(0);
    c_ = static_cast<size_t>(x.dims.back());
    pixels_ = c_ ? x.numel / c_ : 0;
    const float eps = b.Float(0, 1e-5f);
    for (size_t i = 1; i <= 4; i++) {
      if (b.FloatInput(i).numel != c_) b.Fail(Status::kShape, "scale/bias/mean/var must have one value per channel");
    }
    const float *scale = b.ConstFloats(1), *bias = b.ConstFloats(2), *mean = b.ConstFloats(3), *var = b.ConstFloats(4);
    build_only_inputs = {1, 2, 3, 4};
    ab_.Resize(2 * c_ * sizeof(float));
    float* a = ab_.floats();
    for (size_t ch = 0; ch < c_; ch++) {
      a[ch] = scale[ch] / std::sqrt(var[ch] + eps);
      a[c_ + ch] = bias[ch] - mean[ch] * a[ch];
    }
  }

  void Run(const RunContext& ctx) override {
    const float* x = ctx.Ptr(x_);
    float* y = ctx.Ptr(y_);
    const float* a = ab_.floats();
    const float* s = a + c_;
    const int threads = UsefulThreads(ctx.pool, pixels_ * c_);
    const size_t per = threads == 1 ? pixels_ : ChunkSize(pixels_, 4 * threads, 1);
    ForTasks(ctx.pool, threads, CeilDiv(pixels_, per), [&](size_t t, int) {
      for (size_t p = t * per; p < std::min(pixels_, (t + 1) * per); p++) {
        const float* src = x + p * c_;
        float* dst = y + p * c_;
        for (size_t ch = 0; ch < c_; ch++) dst[ch] = src[ch] * a[ch] + s[ch];
      }
    });
  }

 private:
  int x_ = -1, y_ = -1;
  size_t c_ = 0, pixels_ = 0;
  AlignedBuffer ab_;
};

}  // namespace

std::unique_ptr<Operator> CreateBatchNorm(const BuildContext& b) { return std::make_unique<BatchNormOp>(b); }

}  // namespace gc
