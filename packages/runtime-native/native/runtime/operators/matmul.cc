// MatMul (numpy semantics, batch dims broadcast) with optional bias [N] and fused activation.
// Packed attributes: ints [act], floats [act_p0, act_p1]. The planner reshapes rank-1 operands
// to [1, K] / [K, 1] before they get here, so both inputs have rank >= 2.
// A constant B is packed once at build time (one packed matrix per B batch); a computed B is
// packed per run into the shared scratch.
#include <algorithm>
#include <cstring>

#include "runtime/operators/common.h"

namespace gc {
namespace {

class MatMulOp final : public Operator {
 public:
  explicit MatMulOp(const BuildContext& b) : mk_(b.mk) {
    const TensorDesc& a = b.FloatInput(0);
    const TensorDesc& bt = b.FloatInput(1);
    const TensorDesc& y = b.Out(0);
    if (a.dims.size() < 2 || bt.dims.size() < 2) b.Fail(Status::kShape, "MatMul operands must have rank >= 2 in the plan");
    a_ = b.InId(0);
    b_ = b.InId(1);
    y_ = b.OutId(0);
    m_ = static_cast<int>(a.dims[a.dims.size() - 2]);
    k_ = static_cast<int>(a.dims.back());
    n_ = static_cast<int>(bt.dims.back());
    if (bt.dims[bt.dims.size() - 2] != k_) b.Fail(Status::kShape, "inner dims of A and B differ");
    act_ = MakeAct(b, b.Int(0), 0);
    // Output batch dims and, per output batch, the A and B batch indices (broadcast).
    const size_t rank = y.dims.size();
    if (rank < 2 || y.dims[rank - 2] != m_ || y.dims[rank - 1] != n_) b.Fail(Status::kShape, "output dims do not match [..., M, N]");
    const size_t batch_rank = rank - 2;
    size_t batches = 1;
    for (size_t i = 0; i < batch_rank; i++) batches *= static_cast<size_t>(y.dims[i]);
    auto batch_strides = [&](const TensorDesc& t) {
      // Row-major strides (in matrices) of t's batch dims, aligned right against the output's, 0 where broadcast.
      std::vector<size_t> st(batch_rank, 0);
      const size_t tb = t.dims.size() - 2;
      size_t acc = 1;
      for (size_t j = tb; j-- > 0;) {
        const size_t i = batch_rank - (tb - j);
        if (t.dims[j] != 1) st[i] = acc;
        acc *= static_cast<size_t>(t.dims[j]);
      }
      return st;
    };
    const std::vector<size_t> sa = batch_strides(a), sb = batch_strides(bt);
    a_batch_.resize(batches);
    b_batch_.resize(batches);
    std::vector<int64_t> idx(batch_rank, 0);
    for (size_t e = 0; e < batches; e++) {
      size_t oa = 0, ob = 0;
      for (size_t i = 0; i < batch_rank; i++) {
        oa += static_cast<size_t>(idx[i]) * sa[i];
        ob += static_cast<size_t>(idx[i]) * sb[i];
      }
      a_batch_[e] = oa;
      b_batch_[e] = ob;
      for (size_t i = batch_rank; i-- > 0;) {
        if (++idx[i] < y.dims[i]) break;
        idx[i] = 0;
      }
    }
    size_t b_count = 1;
    for (size_t j = 0; j + 2 < bt.dims.size(); j++) b_count *= static_cast<size_t>(bt.dims[j]);
    if (b.HasInput(2)) {
      const TensorDesc& bias = b.FloatInput(2);
      if (bias.numel != static_cast<size_t>(n_)) b.Fail(Status::kShape, "bias must have N = " + std::to_string(n_) + " elements");
      bias_ = b.InId(2);
    }
    if (bt.is_const) {
      build_only_inputs = {1};
      packed_.Init(mk_, k_, n_, static_cast<int>(b_count));
      for (size_t i = 0; i < b_count; i++) {
        mk_.gemm_pack_b(k_, n_, bt.data.floats() + i * static_cast<size_t>(k_) * n_, n_, false, packed_.Get(static_cast<int>(i)));
      }
    } else {
      runtime_pack_floats_ = (mk_.gemm_packed_b_floats(k_, n_) + 15) / 16 * 16;
      shared_scratch_bytes = RoundScratch(sizeof(float) * runtime_pack_floats_);
    }
  }

  void Run(const RunContext& ctx) override {
    const float* a = ctx.Ptr(a_);
    const float* bmat = ctx.Ptr(b_);
    const float* bias = bias_ >= 0 ? ctx.Ptr(bias_) : nullptr;
    float* y = ctx.Ptr(y_);
    const size_t a_size = static_cast<size_t>(m_) * k_, b_size = static_cast<size_t>(k_) * n_, y_size = static_cast<size_t>(m_) * n_;
    size_t packed_for = SIZE_MAX;
    for (size_t e = 0; e < a_batch_.size(); e++) {
      const float* packed;
      if (packed_.count > 0) {
        packed = packed_.Get(static_cast<int>(b_batch_[e]));
      } else {
        float* buf = ctx.SharedScratch();
        if (packed_for != b_batch_[e]) {  // consecutive batches often share B (broadcast)
          mk_.gemm_pack_b(k_, n_, bmat + b_batch_[e] * b_size, n_, false, buf);
          packed_for = b_batch_[e];
        }
        packed = buf;
      }
      ParallelGemm(ctx, m_, k_, n_, a + a_batch_[e] * a_size, k_, packed, bias, nullptr, 0, y + e * y_size, n_, act_);
    }
  }

 private:
  const Microkernels& mk_;
  int a_ = -1, b_ = -1, y_ = -1, bias_ = -1;
  int m_ = 0, k_ = 0, n_ = 0;
  ActParams act_;
  std::vector<size_t> a_batch_, b_batch_;  // per output batch: A / B matrix index
  PackedGemmB packed_;
  size_t runtime_pack_floats_ = 0;
};

}  // namespace

std::unique_ptr<Operator> CreateMatMul(const BuildContext& b) { return std::make_unique<MatMulOp>(b); }

}  // namespace gc
