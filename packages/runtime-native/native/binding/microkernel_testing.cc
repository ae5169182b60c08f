// exports.microkernels: direct access to every ISA's microkernels for tests and benchmarks
// (src/microkernels.test.ts, tools/bench-gemm.mjs). Each call packs/unpacks typed arrays and runs
// one kernel on one forced ISA; arguments are validated so bad input throws instead of crashing.
#include <napi.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <time.h>

#include "microkernels/microkernels.h"
#include "runtime/cpu.h"

namespace gc {
namespace {

// 64-byte aligned float buffer (the runtime's arena alignment), so benchmarks see realistic loads.
struct AlignedFloats {
  explicit AlignedFloats(size_t n) : size(n) {
    data = static_cast<float*>(std::aligned_alloc(64, std::max<size_t>(64, (n * sizeof(float) + 63) / 64 * 64)));
    if (!data) throw std::bad_alloc();
  }
  ~AlignedFloats() { std::free(data); }
  AlignedFloats(const AlignedFloats&) = delete;
  AlignedFloats& operator=(const AlignedFloats&) = delete;
  float* data;
  size_t size;
};

const Microkernels& TableArg(const Napi::CallbackInfo& info, size_t i) {
  if (!info[i].IsString()) throw Napi::TypeError::New(info.Env(), "microkernels: argument " + std::to_string(i) + " must be an ISA name");
  const std::string name = info[i].As<Napi::String>();
  for (Isa isa : SupportedIsas()) {
    if (name == IsaName(isa)) return MicrokernelsFor(isa);
  }
  throw Napi::Error::New(info.Env(), "microkernels: ISA '" + name + "' is not supported on this machine (see isas())");
}

int IntArg(const Napi::CallbackInfo& info, size_t i, const char* what, int min = 0) {
  if (!info[i].IsNumber()) throw Napi::TypeError::New(info.Env(), std::string("microkernels: ") + what + " must be a number");
  const double v = info[i].As<Napi::Number>().DoubleValue();
  if (!(v >= min && v <= 1 << 24) || v != static_cast<int>(v)) {
    throw Napi::RangeError::New(info.Env(), std::string("microkernels: ") + what + " must be an integer in [" + std::to_string(min) + ", 2^24]");
  }
  return static_cast<int>(v);
}

float FloatArg(const Napi::CallbackInfo& info, size_t i, const char* what) {
  if (!info[i].IsNumber()) throw Napi::TypeError::New(info.Env(), std::string("microkernels: ") + what + " must be a number");
  return info[i].As<Napi::Number>().FloatValue();
}

// A Float32Array of exactly `expected` elements (or null/undefined when optional).
const float* FloatsArg(const Napi::CallbackInfo& info, size_t i, const char* what, size_t expected, bool optional = false) {
  if (optional && (info[i].IsNull() || info[i].IsUndefined())) return nullptr;
  if (!info[i].IsTypedArray() || info[i].As<Napi::TypedArray>().TypedArrayType() != napi_float32_array) {
    throw Napi::TypeError::New(info.Env(), std::string("microkernels: ") + what + " must be a Float32Array");
  }
  auto arr = info[i].As<Napi::Float32Array>();
  if (arr.ElementLength() != expected) {
    throw Napi::RangeError::New(info.Env(), std::string("microkernels: ") + what + " has " + std::to_string(arr.ElementLength()) +
                                                " elements, expected " + std::to_string(expected));
  }
  return arr.Data();
}

ActParams ActArgs(const Napi::CallbackInfo& info, size_t i) {
  static const char* const kNames[] = {"none", "relu", "relu6", "clip", "hardswish", "hardsigmoid", "sigmoid"};
  if (!info[i].IsString()) throw Napi::TypeError::New(info.Env(), "microkernels: activation must be a string");
  const std::string name = info[i].As<Napi::String>();
  ActParams a;
  const auto* it = std::find(std::begin(kNames), std::end(kNames), name);
  if (it == std::end(kNames)) throw Napi::Error::New(info.Env(), "microkernels: unknown activation '" + name + "'");
  a.kind = static_cast<Act>(it - std::begin(kNames));
  a.p0 = FloatArg(info, i + 1, "activation p0");
  a.p1 = FloatArg(info, i + 2, "activation p1");
  return a;
}

Napi::Float32Array NewFloats(Napi::Env env, size_t n) { return Napi::Float32Array::New(env, n); }

// gemm(isa, M, K, N, A, B, bTransposed, bias|null, residual|null, act, p0, p1, residualInPlace?) -> C
// (M x N). residualInPlace: C starts as a copy of the residual and is passed as both (aliasing).
Napi::Value Gemm(const Napi::CallbackInfo& info) {
  const Microkernels& t = TableArg(info, 0);
  const int M = IntArg(info, 1, "M", 1), K = IntArg(info, 2, "K", 1), N = IntArg(info, 3, "N", 1);
  const float* A = FloatsArg(info, 4, "A", static_cast<size_t>(M) * K);
  const float* B = FloatsArg(info, 5, "B", static_cast<size_t>(K) * N);
  const bool transposed = info[6].ToBoolean();
  const float* bias = FloatsArg(info, 7, "bias", N, true);
  const float* residual = FloatsArg(info, 8, "residual", static_cast<size_t>(M) * N, true);
  const ActParams act = ActArgs(info, 9);
  AlignedFloats packed(t.gemm_packed_b_floats(K, N));
  t.gemm_pack_b(K, N, B, transposed ? K : N, transposed, packed.data);
  auto C = NewFloats(info.Env(), static_cast<size_t>(M) * N);
  if (residual && info.Length() > 12 && info[12].ToBoolean()) {
    std::memcpy(C.Data(), residual, sizeof(float) * M * N);
    residual = C.Data();
  }
  // Two panel ranges, as a threaded operator would split the work.
  const int panels = (N + t.gemm_nr - 1) / t.gemm_nr;
  const int mid = panels / 2;
  t.gemm(M, K, N, 0, mid, A, K, packed.data, bias, residual, N, C.Data(), N, act);
  t.gemm(M, K, N, mid, panels, A, K, packed.data, bias, residual, N, C.Data(), N, act);
  return C;
}

int PropInt(const Napi::Object& o, const char* key, int min) {
  const Napi::Value v = o.Get(key);
  if (!v.IsNumber()) throw Napi::TypeError::New(o.Env(), std::string("microkernels: window.") + key + " must be a number");
  const double d = v.As<Napi::Number>().DoubleValue();
  if (!(d >= min && d <= 1 << 20) || d != static_cast<int>(d)) {
    throw Napi::RangeError::New(o.Env(), std::string("microkernels: window.") + key + " must be an integer >= " + std::to_string(min));
  }
  return static_cast<int>(d);
}

WindowParams WindowArg(const Napi::CallbackInfo& info, size_t i) {
  if (!info[i].IsObject()) throw Napi::TypeError::New(info.Env(), "microkernels: window params must be an object");
  const Napi::Object o = info[i].As<Napi::Object>();
  WindowParams p;
  p.in_h = PropInt(o, "inH", 1);
  p.in_w = PropInt(o, "inW", 1);
  p.channels = PropInt(o, "channels", 1);
  p.out_h = PropInt(o, "outH", 1);
  p.out_w = PropInt(o, "outW", 1);
  p.kernel_h = PropInt(o, "kernelH", 1);
  p.kernel_w = PropInt(o, "kernelW", 1);
  p.stride_h = PropInt(o, "strideH", 1);
  p.stride_w = PropInt(o, "strideW", 1);
  p.dilation_h = PropInt(o, "dilationH", 1);
  p.dilation_w = PropInt(o, "dilationW", 1);
  p.pad_top = PropInt(o, "padTop", 0);
  p.pad_left = PropInt(o, "padLeft", 0);
  return p;
}

size_t InSize(const WindowParams& p) { return static_cast<size_t>(p.in_h) * p.in_w * p.channels; }
size_t OutSize(const WindowParams& p) { return static_cast<size_t>(p.out_h) * p.out_w * p.channels; }

// dwconv(isa, window, input, weights, bias|null, act, p0, p1) -> output; rows split in two calls.
Napi::Value DwConv(const Napi::CallbackInfo& info) {
  const Microkernels& t = TableArg(info, 0);
  const WindowParams p = WindowArg(info, 1);
  const float* in = FloatsArg(info, 2, "input", InSize(p));
  const float* w = FloatsArg(info, 3, "weights", static_cast<size_t>(p.kernel_h) * p.kernel_w * p.channels);
  const float* bias = FloatsArg(info, 4, "bias", p.channels, true);
  const ActParams act = ActArgs(info, 5);
  auto out = NewFloats(info.Env(), OutSize(p));
  const int mid = p.out_h / 2;
  t.dwconv(p, in, w, bias, out.Data(), 0, mid, act);
  t.dwconv(p, in, w, bias, out.Data(), mid, p.out_h, act);
  return out;
}

// maxpool(isa, window, input) -> output; rows split in two calls.
Napi::Value MaxPool(const Napi::CallbackInfo& info) {
  const Microkernels& t = TableArg(info, 0);
  const WindowParams p = WindowArg(info, 1);
  const float* in = FloatsArg(info, 2, "input", InSize(p));
  auto out = NewFloats(info.Env(), OutSize(p));
  const int mid = p.out_h / 2;
  t.maxpool(p, in, out.Data(), 0, mid);
  t.maxpool(p, in, out.Data(), mid, p.out_h);
  return out;
}

// globalAvgpool(isa, pixels, channels, input) -> output[channels]
Napi::Value GlobalAvgpool(const Napi::CallbackInfo& info) {
  const Microkernels& t = TableArg(info, 0);
  const int pixels = IntArg(info, 1, "pixels", 1), channels = IntArg(info, 2, "channels", 1);
  const float* in = FloatsArg(info, 3, "input", static_cast<size_t>(pixels) * channels);
  auto out = NewFloats(info.Env(), channels);
  t.global_avgpool(pixels, channels, in, out.Data());
  return out;
}

// vbinary(isa, op: 'add'|'sub'|'mul'|'div', mode: 'vv'|'vs'|'sv', n, a, b) -> y[n]
Napi::Value VBinary(const Napi::CallbackInfo& info) {
  const Microkernels& t = TableArg(info, 0);
  static const char* const kOps[] = {"add", "sub", "mul", "div"};
  static const char* const kModes[] = {"vv", "vs", "sv"};
  if (!info[1].IsString() || !info[2].IsString()) throw Napi::TypeError::New(info.Env(), "microkernels: op and mode must be strings");
  const std::string op = info[1].As<Napi::String>(), mode = info[2].As<Napi::String>();
  const auto* o = std::find(std::begin(kOps), std::end(kOps), op);
  const auto* m = std::find(std::begin(kModes), std::end(kModes), mode);
  if (o == std::end(kOps) || m == std::end(kModes)) throw Napi::Error::New(info.Env(), "microkernels: unknown op '" + op + "' or mode '" + mode + "'");
  const BinMode bm = static_cast<BinMode>(m - std::begin(kModes));
  const size_t n = IntArg(info, 3, "n", 0);
  const float* a = FloatsArg(info, 4, "a", bm == BinMode::kSV ? 1 : n);
  const float* b = FloatsArg(info, 5, "b", bm == BinMode::kVS ? 1 : n);
  auto y = NewFloats(info.Env(), n);
  t.vbinary(static_cast<BinOp>(o - std::begin(kOps)), bm, n, a, b, y.Data());
  return y;
}

// vactivation(isa, act, p0, p1, x) -> y
Napi::Value VActivation(const Napi::CallbackInfo& info) {
  const Microkernels& t = TableArg(info, 0);
  const ActParams act = ActArgs(info, 1);
  if (!info[4].IsTypedArray()) throw Napi::TypeError::New(info.Env(), "microkernels: x must be a Float32Array");
  const size_t n = info[4].As<Napi::TypedArray>().ElementLength();
  const float* x = FloatsArg(info, 4, "x", n);
  auto y = NewFloats(info.Env(), n);
  t.vactivation(act, n, x, y.Data());
  return y;
}

// softmax(isa, rows, n, x) -> y
Napi::Value Softmax(const Napi::CallbackInfo& info) {
  const Microkernels& t = TableArg(info, 0);
  const int rows = IntArg(info, 1, "rows", 1), n = IntArg(info, 2, "n", 1);
  const float* x = FloatsArg(info, 3, "x", static_cast<size_t>(rows) * n);
  auto y = NewFloats(info.Env(), static_cast<size_t>(rows) * n);
  t.softmax(rows, n, x, y.Data());
  return y;
}

void FillRandom(AlignedFloats& v, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> d(-1.f, 1.f);
  for (size_t i = 0; i < v.size; ++i) v.data[i] = d(rng);
}

// Benchmarks time this thread's CPU clock: on a shared machine, time slices given to other
// processes would otherwise count as kernel time (tools/peak measures the peak the same way).
double ThreadSeconds() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

// gemmBench(isa, M, K, N, iters) -> thread-CPU seconds per GEMM (one thread, B packed once beforehand).
Napi::Value GemmBench(const Napi::CallbackInfo& info) {
  const Microkernels& t = TableArg(info, 0);
  const int M = IntArg(info, 1, "M", 1), K = IntArg(info, 2, "K", 1), N = IntArg(info, 3, "N", 1);
  const int iters = IntArg(info, 4, "iters", 1);
  AlignedFloats A(static_cast<size_t>(M) * K), B(static_cast<size_t>(K) * N), C(static_cast<size_t>(M) * N);
  AlignedFloats packed(t.gemm_packed_b_floats(K, N));
  FillRandom(A, 1);
  FillRandom(B, 2);
  t.gemm_pack_b(K, N, B.data, N, false, packed.data);
  const int panels = (N + t.gemm_nr - 1) / t.gemm_nr;
  const ActParams none;
  t.gemm(M, K, N, 0, panels, A.data, K, packed.data, nullptr, nullptr, 0, C.data, N, none);  // warm caches
  const double t0 = ThreadSeconds();
  for (int i = 0; i < iters; ++i) t.gemm(M, K, N, 0, panels, A.data, K, packed.data, nullptr, nullptr, 0, C.data, N, none);
  return Napi::Number::New(info.Env(), (ThreadSeconds() - t0) / iters);
}

// packBench(isa, K, N, iters) -> thread-CPU seconds per B packing (K x N row-major source).
Napi::Value PackBench(const Napi::CallbackInfo& info) {
  const Microkernels& t = TableArg(info, 0);
  const int K = IntArg(info, 1, "K", 1), N = IntArg(info, 2, "N", 1), iters = IntArg(info, 3, "iters", 1);
  AlignedFloats B(static_cast<size_t>(K) * N), packed(t.gemm_packed_b_floats(K, N));
  FillRandom(B, 3);
  t.gemm_pack_b(K, N, B.data, N, false, packed.data);
  const double t0 = ThreadSeconds();
  for (int i = 0; i < iters; ++i) t.gemm_pack_b(K, N, B.data, N, false, packed.data);
  return Napi::Number::New(info.Env(), (ThreadSeconds() - t0) / iters);
}

Napi::Value Isas(const Napi::CallbackInfo& info) {
  const std::vector<Isa> isas = SupportedIsas();
  auto arr = Napi::Array::New(info.Env(), isas.size());
  for (size_t i = 0; i < isas.size(); ++i) arr.Set(static_cast<uint32_t>(i), Napi::String::New(info.Env(), IsaName(isas[i])));
  return arr;
}

// gemmTile(isa) -> { mr, nr, kc }: tile geometry, so tests can aim at tile edges.
Napi::Value GemmTile(const Napi::CallbackInfo& info) {
  const Microkernels& t = TableArg(info, 0);
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("mr", t.gemm_mr);
  o.Set("nr", t.gemm_nr);
  o.Set("kc", t.gemm_kc);
  return o;
}

}  // namespace

void RegisterMicrokernelTesting(Napi::Env env, Napi::Object exports) {
  Napi::Object mk = Napi::Object::New(env);
  mk.Set("isas", Napi::Function::New(env, Isas, "isas"));
  mk.Set("gemmTile", Napi::Function::New(env, GemmTile, "gemmTile"));
  mk.Set("gemm", Napi::Function::New(env, Gemm, "gemm"));
  mk.Set("dwconv", Napi::Function::New(env, DwConv, "dwconv"));
  mk.Set("vbinary", Napi::Function::New(env, VBinary, "vbinary"));
  mk.Set("vactivation", Napi::Function::New(env, VActivation, "vactivation"));
  mk.Set("maxpool", Napi::Function::New(env, MaxPool, "maxpool"));
  mk.Set("globalAvgpool", Napi::Function::New(env, GlobalAvgpool, "globalAvgpool"));
  mk.Set("softmax", Napi::Function::New(env, Softmax, "softmax"));
  mk.Set("gemmBench", Napi::Function::New(env, GemmBench, "gemmBench"));
  mk.Set("packBench", Napi::Function::New(env, PackBench, "packBench"));
  exports.Set("microkernels", mk);
}

}  // namespace gc
