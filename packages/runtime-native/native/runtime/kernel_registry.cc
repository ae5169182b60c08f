// The kernel table as data: ids come from the generated X-macro list, so a cropped build can
// drop rows without any static self-registration.
#include "runtime/operator.h"

namespace gc {

#define GC_KERNEL(id, name, factory) std::unique_ptr<Operator> factory(const BuildContext&);
#include "runtime/kernels.generated.inc"
#undef GC_KERNEL

namespace {
struct KernelRow {
  int id;
  const char* name;
  OperatorFactory factory;
};
const KernelRow kKernels[] = {
#define GC_KERNEL(id, name, factory) {id, #name, &factory},
#include "runtime/kernels.generated.inc"
#undef GC_KERNEL
};
}  // namespace

OperatorFactory FindKernel(int id, const char** name) {
  for (const KernelRow& row : kKernels) {
    if (row.id == id) {
      if (name) *name = row.name;
      return row.factory;
    }
  }
  return nullptr;
}

}  // namespace gc
