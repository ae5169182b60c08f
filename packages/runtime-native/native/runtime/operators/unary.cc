// Element-wise activations, float32. Packed attributes: floats [p0, p1] (Clip: min, max;
// HardSigmoid: alpha, beta). All but Tanh map onto the vactivation microkernel.
#include <algorithm>
#include <cmath>

#include "runtime/operators/common.h"

namespace gc {
namespace {

constexpr size_t kChunk = 16384;

class UnaryOp final : public Operator {
 public:
  UnaryOp(const BuildContext& b, Act kind, bool tanh) : tanh_(tanh) {
    const TensorDesc& x = b.FloatInput(0);
    if (b.Out(0).numel != x.numel) b.Fail(Status::kShape, "output size differs from input size");
    x_ = b.InId(0);
    y_ = b.OutId(0);
    n_ = x.numel;
    act_.kind = kind;
    if (kind == Act::kClip) {
      act_.p0 = b.Float(0, -INFINITY);
      act_.p1 = b.Float(1, INFINITY);
    } else if (kind == Act::kHardSigmoid) {
      act_.p0 = b.Float(0, 0.2f);
      act_.p1 = b.Float(1, 0.5f);
    }
  }

  void Run(const RunContext& ctx) override {
    const float* x = ctx.Ptr(x_);
    float* y = ctx.Ptr(y_);
    const size_t chunks = CeilDiv(n_, kChunk);
    ctx.pool.ParallelFor(chunks, [&](size_t t, int) {
      const size_t i0 = t * kChunk, n = std::min(n_, i0 + kChunk) - i0;
      if (tanh_) {
        for (size_t i = 0; i < n; i++) y[i0 + i] = std::tanh(x[i0 + i]);
      } else {
        ctx.mk.vactivation(act_, n, x + i0, y + i0);
      }
    });
  }

 private:
  bool tanh_;
  int x_ = -1, y_ = -1;
  size_t n_ = 0;
  ActParams act_;
};

}  // namespace

std::unique_ptr<Operator> CreateRelu(const BuildContext& b) { return std::make_unique<UnaryOp>(b, Act::kRelu, false); }
std::unique_ptr<Operator> CreateSigmoid(const BuildContext& b) { return std::make_unique<UnaryOp>(b, Act::kSigmoid, false); }
std::unique_ptr<Operator> CreateTanh(const BuildContext& b) { return std::make_unique<UnaryOp>(b, Act::kNone, true); }
std::unique_ptr<Operator> CreateHardSigmoid(const BuildContext& b) { return std::make_unique<UnaryOp>(b, Act::kHardSigmoid, false); }
std::unique_ptr<Operator> CreateHardSwish(const BuildContext& b) { return std::make_unique<UnaryOp>(b, Act::kHardSwish, false); }
std::unique_ptr<Operator> CreateClip(const BuildContext& b) { return std::make_unique<UnaryOp>(b, Act::kClip, false); }

}  // namespace gc
