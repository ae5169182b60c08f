// Softmax, float32, along one axis. Packed attributes: ints [axis] (normalised).
// Last axis: the softmax microkernel over contiguous rows; other axes: a strided loop
// (for each outer index and inner position, the axis elements are `inner` apart).
#include <algorithm>
#include <cmath>

#include "runtime/operators/common.h"

namespace gc {
namespace {

class SoftmaxOp final : public Operator {
 public:
  explicit SoftmaxOp(const BuildContext& b) {
    const TensorDesc& x = b.FloatInput(0);
    x_ = b.InId(0);
    y_ = b.OutId(0);
    const int64_t rank = static_cast<int64_t>(x.dims.size());
    const int64_t axis = b.Int(0);
    if (rank == 0) {
      outer_ = axis_ = inner_ = 1;
      return;
    }
    if (axis < 0 || axis >= rank) b.Fail(Status::kShape, "softmax axis out of range");
    for (int64_t i = 0; i < axis; i++) outer_ *= static_cast<size_t>(x.dims[i]);
    axis_ = static_cast<size_t>(x.dims[axis]);
    for (int64_t i = axis + 1; i < rank; i++) inner_ *= static_cast<size_t>(x.dims[i]);
  }

  void Run(const RunContext& ctx) override {
    const float* x = ctx.Ptr(x_);
    float* y = ctx.Ptr(y_);
    const int threads = ctx.pool.size();
    if (inner_ == 1) {
      const size_t rows_per = ChunkSize(outer_, 4 * threads, std::max<size_t>(1, 4096 / std::max<size_t>(1, axis_)));
      ctx.pool.ParallelFor(CeilDiv(outer_, rows_per), [&](size_t t, int) {
        const size_t r0 = t * rows_per, rows = std::min(outer_, r0 + rows_per) - r0;
        ctx.mk.softmax(rows, axis_, x + r0 * axis_, y + r0 * axis_);
      });
      return;
    }
    ctx.pool.ParallelFor(outer_, [&](size_t o, int) {
      const float* src = x + o * axis_ * inner_;
      float* dst = y + o * axis_ * inner_;
      for (size_t i = 0; i < inner_; i++) {
        float mx = -INFINITY;
        for (size_t k = 0; k < axis_; k++) mx = std::max(mx, src[k * inner_ + i]);
        float sum = 0.f;
        for (size_t k = 0; k < axis_; k++) {
          const float e = std::exp(src[k * inner_ + i] - mx);
          dst[k * inner_ + i] = e;
          sum += e;
        }
        const float inv = 1.f / sum;
        for (size_t k = 0; k < axis_; k++) dst[k * inner_ + i] *= inv;
      }
    });
  }

 private:
  int x_ = -1, y_ = -1;
  size_t outer_ = 1, axis_ = 1, inner_ = 1;
};

}  // namespace

std::unique_ptr<Operator> CreateSoftmax(const BuildContext& b) { return std::make_unique<SoftmaxOp>(b); }

}  // namespace gc
