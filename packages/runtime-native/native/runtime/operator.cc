#include "runtime/operator.h"

namespace gc {

std::string BuildContext::Where() const {
  const char* kernel = nullptr;
  FindKernel(node.kernel, &kernel);
  return "node '" + node.name + "' (" + (kernel ? kernel : "unknown kernel") + ")";
}

int64_t BuildContext::Int(size_t i) const {
  if (i >= node.ints.size()) Fail(Status::kInternal, "packed attribute " + std::to_string(i) + " is missing from the plan");
  return node.ints[i];
}

const TensorDesc& BuildContext::FloatInput(size_t i, int rank) const {
  if (!HasInput(i)) Fail(Status::kInternal, "input " + std::to_string(i) + " is missing from the plan");
  const TensorDesc& t = In(i);
  if (t.dtype != DType::kFloat32) Fail(Status::kDtype, "input " + std::to_string(i) + " is " + DTypeName(t.dtype) + ", this kernel takes float32");
  if (rank >= 0 && static_cast<int>(t.dims.size()) != rank) {
    Fail(Status::kShape, "input " + std::to_string(i) + " has rank " + std::to_string(t.dims.size()) + ", expected " + std::to_string(rank));
  }
  return t;
}

const float* BuildContext::ConstFloats(size_t i) const {
  const TensorDesc& t = FloatInput(i);
  if (!t.is_const) Fail(Status::kUnsupportedOp, "input " + std::to_string(i) + " must be a constant (weights are packed at session creation)");
  return t.data.floats();
}

}  // namespace gc
