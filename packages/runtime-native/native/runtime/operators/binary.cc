// Add / Sub / Mul / Div, float32, full numpy broadcasting. At build time the broadcast is
// reduced to collapsed dims with per-operand strides; the innermost run is one vbinary call in
// VV, VS or SV mode, the outer dims are walked with index counters.
#include <algorithm>

#include "runtime/operators/common.h"

namespace gc {
namespace {

constexpr size_t kMinParallelElems = 16384;

class BinaryOp final : public Operator {
 public:
  BinaryOp(const BuildContext& b, BinOp op) : op_(op) {
    const TensorDesc& a = b.FloatInput(0);
    const TensorDesc& bt = b.FloatInput(1);
    const TensorDesc& y = b.Out(0);
    a_ = b.InId(0);
    b_ = b.InId(1);
    y_ = b.OutId(0);
    total_ = y.numel;
    const size_t rank = y.dims.size();
    if (a.dims.size() > rank || bt.dims.size() > rank) b.Fail(Status::kShape, "input rank exceeds output rank");
    auto strides_of = [&](const TensorDesc& t) {
      std::vector<int64_t> st(rank, 0);
      int64_t acc = 1;
      for (size_t j = t.dims.size(); j-- > 0;) {
        const size_t i = rank - (t.dims.size() - j);
        if (t.dims[j] != 1) {
          if (t.dims[j] != y.dims[i]) b.Fail(Status::kShape, "input dims do not broadcast to the output dims");
          st[i] = acc;
        }
        acc *= t.dims[j];
      }
      return st;
    };
    const std::vector<int64_t> sa = strides_of(a), sb = strides_of(bt);
    // Drop size-1 dims, then merge neighbours that are contiguous (or broadcast) in both operands.
    for (size_t i = 0; i < rank; i++) {
      if (y.dims[i] == 1) continue;
      if (!dims_.empty() && sa_.back() == sa[i] * y.dims[i] && sb_.back() == sb[i] * y.dims[i]) {
        dims_.back() *= y.dims[i];
        sa_.back() = sa[i];
        sb_.back() = sb[i];
        continue;
      }
      dims_.push_back(y.dims[i]);
      sa_.push_back(sa[i]);
      sb_.push_back(sb[i]);
    }
    if (dims_.empty()) {  // scalar output
      dims_.push_back(1);
      sa_.push_back(1);
      sb_.push_back(1);
    }
    if (dims_.size() > kMaxRank) b.Fail(Status::kUnsupportedOp, "more than 16 non-trivial dims after merging");
    inner_ = static_cast<size_t>(dims_.back());
    const int64_t ia = sa_.back(), ib = sb_.back();
    mode_ = ia != 0 && ib != 0 ? BinMode::kVV : ia != 0 ? BinMode::kVS : BinMode::kSV;
    dims_.pop_back();
    sa_.pop_back();
    sb_.pop_back();
    outer_ = 1;
    for (int64_t d : dims_) outer_ *= static_cast<size_t>(d);
    // One short row broadcast over many rows (e.g. an SE block's [N,H,W,C] * [N,1,1,C]): one
    // vbinary call per row is mostly call overhead, so the row is tiled into scratch and runs of
    // many rows go in one VV call.
    if (mode_ == BinMode::kVV && dims_.size() == 1 && inner_ < 256 && outer_ >= 4 &&
        ((sa_[0] == static_cast<int64_t>(inner_) && sb_[0] == 0) || (sb_[0] == static_cast<int64_t>(inner_) && sa_[0] == 0))) {
      tile_rows_ = std::max<size_t>(2, 2048 / inner_);
      tile_b_ = sb_[0] == 0;
      thread_scratch_bytes = RoundScratch(tile_rows_ * inner_ * sizeof(float));
    }
  }

  void Run(const RunContext& ctx) override {
    if (tile_rows_ > 0) return RunTiled(ctx);
    const float* a = ctx.Ptr(a_);
    const float* bp = ctx.Ptr(b_);
    float* y = ctx.Ptr(y_);
    const int threads = ctx.pool.size();
    if (total_ < kMinParallelElems || threads == 1) {
      RunOuter(ctx.mk, a, bp, y, 0, outer_, 0, inner_);
      return;
    }
    if (outer_ >= static_cast<size_t>(2 * threads)) {
      const size_t per = ChunkSize(outer_, 4 * threads, 1);
      ctx.pool.ParallelFor(CeilDiv(outer_, per), [&](size_t t, int) {
        RunOuter(ctx.mk, a, bp, y, t * per, std::min(outer_, (t + 1) * per), 0, inner_);
      });
      return;
    }
    const size_t per = ChunkSize(inner_, CeilDiv(4 * threads, outer_), 4096);
    const size_t chunks = CeilDiv(inner_, per);
    ctx.pool.ParallelFor(outer_ * chunks, [&](size_t t, int) {
      const size_t o = t / chunks, c = t % chunks;
      RunOuter(ctx.mk, a, bp, y, o, o + 1, c * per, std::min(inner_, (c + 1) * per));
    });
  }

 private:
  void RunTiled(const RunContext& ctx) const {
    const float* a = ctx.Ptr(a_);
    const float* b = ctx.Ptr(b_);
    float* y = ctx.Ptr(y_);
    const int threads = UsefulThreads(ctx.pool, total_ >= kMinParallelElems ? total_ : 0);
    const size_t per = threads == 1 ? outer_ : ChunkSize(outer_, 4 * threads, tile_rows_);
    ForTasks(ctx.pool, threads, CeilDiv(outer_, per), [&](size_t t, int tid) {
      float* tile = ctx.ThreadScratch(tid);
      const float* row = tile_b_ ? b : a;
      for (size_t r = 0; r < tile_rows_; r++) std::copy(row, row + inner_, tile + r * inner_);
      const size_t o1 = std::min(outer_, (t + 1) * per);
      for (size_t o = t * per; o < o1; o += tile_rows_) {
        const size_t n = std::min(tile_rows_, o1 - o) * inner_;
        const float* full = (tile_b_ ? a : b) + o * inner_;
        ctx.mk.vbinary(op_, BinMode::kVV, n, tile_b_ ? full : tile, tile_b_ ? tile : full, y + o * inner_);
      }
    });
  }

  // Outer indices [o0, o1), inner elements [i0, i1) of each.
  void RunOuter(const Microkernels& mk, const float* a, const float* b, float* y, size_t o0, size_t o1, size_t i0, size_t i1) const {
    StridedCursor<2> cur{dims_.data(), dims_.size(), {sa_.data(), sb_.data()}};
    cur.Seek(o0);
    const size_t n = i1 - i0;
    const size_t ia = mode_ == BinMode::kSV ? 0 : i0, ib = mode_ == BinMode::kVS ? 0 : i0;
    for (size_t o = o0; o < o1; o++, cur.Next()) {
      mk.vbinary(op_, mode_, n, a + cur.off[0] + ia, b + cur.off[1] + ib, y + o * inner_ + i0);
    }
  }

  BinOp op_;
  BinMode mode_ = BinMode::kVV;
  int a_ = -1, b_ = -1, y_ = -1;
  size_t total_ = 0, inner_ = 1, outer_ = 1;
  size_t tile_rows_ = 0;  // > 0: the row-tiling path (RunTiled)
  bool tile_b_ = true;    // which operand is the broadcast row
  std::vector<int64_t> dims_, sa_, sb_;  // collapsed outer dims and operand strides
};

}  // namespace

std::unique_ptr<Operator> CreateAdd(const BuildContext& b) { return std::make_unique<BinaryOp>(b, BinOp::kAdd); }
std::unique_ptr<Operator> CreateSub(const BuildContext& b) { return std::make_unique<BinaryOp>(b, BinOp::kSub); }
std::unique_ptr<Operator> CreateMul(const BuildContext& b) { return std::make_unique<BinaryOp>(b, BinOp::kMul); }
std::unique_ptr<Operator> CreateDiv(const BuildContext& b) { return std::make_unique<BinaryOp>(b, BinOp::kDiv); }

}  // namespace gc
