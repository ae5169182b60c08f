#include "runtime/plan.h"

#include <new>

namespace gc {

size_t DTypeSize(DType dt) {
  switch (dt) {
    case DType::kUint8: case DType::kInt8: case DType::kBool: return 1;
    case DType::kUint16: case DType::kInt16: case DType::kFloat16: return 2;
    case DType::kFloat32: case DType::kInt32: case DType::kUint32: return 4;
    case DType::kInt64: case DType::kFloat64: case DType::kUint64: return 8;
  }
  return 0;
}

const char* DTypeName(DType dt) {
  switch (dt) {
    case DType::kFloat32: return "float32";
    case DType::kUint8: return "uint8";
    case DType::kInt8: return "int8";
    case DType::kUint16: return "uint16";
    case DType::kInt16: return "int16";
    case DType::kInt32: return "int32";
    case DType::kInt64: return "int64";
    case DType::kBool: return "bool";
    case DType::kFloat16: return "float16";
    case DType::kFloat64: return "float64";
    case DType::kUint32: return "uint32";
    case DType::kUint64: return "uint64";
  }
  return "?";
}

void AlignedBuffer::Resize(size_t bytes) {
  std::free(ptr_);
  ptr_ = nullptr;
  bytes_ = 0;
  if (bytes == 0) return;
  const size_t rounded = (bytes + 63) / 64 * 64;
  ptr_ = std::aligned_alloc(64, rounded);
  if (ptr_ == nullptr) throw std::bad_alloc();
  bytes_ = bytes;
}

}  // namespace gc
