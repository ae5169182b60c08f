// Module entry: Session, CPU/ISA queries, and the microkernel testing hooks when linked.
#include <napi.h>

#include "binding/session_wrap.h"
#include "runtime/cpu.h"

namespace gc {
// Defined in microkernel_testing.cc (owned by the microkernel tests); weak so a build without it
// (e.g. a cropped runtime) still links.
void RegisterMicrokernelTesting(Napi::Env env, Napi::Object exports) __attribute__((weak));
}  // namespace gc

namespace gc {
namespace {

Napi::Value SupportedIsasJs(const Napi::CallbackInfo& info) {
  const std::vector<Isa> isas = SupportedIsas();
  Napi::Array out = Napi::Array::New(info.Env(), isas.size());
  for (size_t i = 0; i < isas.size(); i++) out.Set(static_cast<uint32_t>(i), Napi::String::New(info.Env(), IsaName(isas[i])));
  return out;
}

Napi::Value CpuFeaturesJs(const Napi::CallbackInfo& info) {
  const CpuFeatures& f = GetCpuFeatures();
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("avx2", f.avx2);
  o.Set("fma", f.fma);
  o.Set("f16c", f.f16c);
  o.Set("avx512f", f.avx512f);
  o.Set("avx512bw", f.avx512bw);
  o.Set("avx512vl", f.avx512vl);
  o.Set("avx512dq", f.avx512dq);
  o.Set("osAvx", f.os_avx);
  o.Set("osAvx512", f.os_avx512);
  return o;
}

}  // namespace
}  // namespace gc

static Napi::Object InitGoldcrest(Napi::Env env, Napi::Object exports) {
  using namespace gc;
  SessionWrap::Init(env, exports);
  exports.Set("supportedIsas", Napi::Function::New(env, SupportedIsasJs));
  exports.Set("cpuFeatures", Napi::Function::New(env, CpuFeaturesJs));
  if (&gc::RegisterMicrokernelTesting != nullptr) gc::RegisterMicrokernelTesting(env, exports);
  return exports;
}

NODE_API_MODULE(goldcrest, InitGoldcrest)
