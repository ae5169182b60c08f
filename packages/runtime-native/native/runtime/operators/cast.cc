// Cast between numeric element types (float16 excepted). Float -> integer truncates toward zero;
// anything -> bool is `!= 0`.
#include <cstdint>

#include "runtime/operators/common.h"

namespace gc {
namespace {

template <class To, class From>
void Convert(const void* src, void* dst, size_t n) {
  const From* s = static_cast<const From*>(src);
  To* d = static_cast<To*>(dst);
  for (size_t i = 0; i < n; i++) d[i] = static_cast<To>(s[i]);
}
template <class From>
void ToBool(const void* src, void* dst, size_t n) {
  const From* s = static_cast<const From*>(src);
  uint8_t* d = static_cast<uint8_t*>(dst);
  for (size_t i = 0; i < n; i++) d[i] = s[i] != From(0) ? 1 : 0;
}

using ConvertFn = void (*)(const void*, void*, size_t);

template <class From>
ConvertFn PickTo(DType to) {
  switch (to) {
    case DType::kFloat32: return &Convert<float, From>;
    case DType::kFloat64: return &Convert<double, From>;
    case DType::kInt8: return &Convert<int8_t, From>;
    case DType::kUint8: return &Convert<uint8_t, From>;
    case DType::kInt16: return &Convert<int16_t, From>;
    case DType::kUint16: return &Convert<uint16_t, From>;
    case DType::kInt32: return &Convert<int32_t, From>;
    case DType::kUint32: return &Convert<uint32_t, From>;
    case DType::kInt64: return &Convert<int64_t, From>;
    case DType::kUint64: return &Convert<uint64_t, From>;
    case DType::kBool: return &ToBool<From>;
    default: return nullptr;
  }
}

ConvertFn Pick(DType from, DType to) {
  switch (from) {
    case DType::kFloat32: return PickTo<float>(to);
    case DType::kFloat64: return PickTo<double>(to);
    case DType::kInt8: return PickTo<int8_t>(to);
    case DType::kUint8: case DType::kBool: return PickTo<uint8_t>(to);
    case DType::kInt16: return PickTo<int16_t>(to);
    case DType::kUint16: return PickTo<uint16_t>(to);
    case DType::kInt32: return PickTo<int32_t>(to);
    case DType::kUint32: return PickTo<uint32_t>(to);
    case DType::kInt64: return PickTo<int64_t>(to);
    case DType::kUint64: return PickTo<uint64_t>(to);
    default: return nullptr;
  }
}

class CastOp final : public Operator {
 public:
  explicit CastOp(const BuildContext& b) {
    x_ = b.InId(0);
    y_ = b.OutId(0);
    n_ = b.In(0).numel;
    fn_ = Pick(b.In(0).dtype, b.Out(0).dtype);
    if (fn_ == nullptr) {
      b.Fail(Status::kUnsupportedOp, std::string("cast from ") + DTypeName(b.In(0).dtype) + " to " + DTypeName(b.Out(0).dtype) + " is not supported");
    }
  }
  void Run(const RunContext& ctx) override { fn_(ctx.ptrs[x_], ctx.ptrs[y_], n_); }

 private:
  int x_ = -1, y_ = -1;
  size_t n_ = 0;
  ConvertFn fn_ = nullptr;
};

}  // namespace

std::unique_ptr<Operator> CreateCast(const BuildContext& b) { return std::make_unique<CastOp>(b); }

}  // namespace gc
