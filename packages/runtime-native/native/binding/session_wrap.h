// N-API boundary: a `Session` ObjectWrap around gc::Session. Plans arrive as plain JS objects
// (built by src/plan.ts); `run` copies feeds on the main thread, executes in an AsyncWorker and
// resolves a Promise with one ArrayBuffer per output. Errors carry `code` (E_FEED, ...).
#pragma once
#include <napi.h>

#include <memory>

#include "runtime/session.h"

namespace gc {

class SessionWrap : public Napi::ObjectWrap<SessionWrap> {
 public:
  static void Init(Napi::Env env, Napi::Object exports);
  explicit SessionWrap(const Napi::CallbackInfo& info);

 private:
  Napi::Value Run(const Napi::CallbackInfo& info);
  Napi::Value Release(const Napi::CallbackInfo& info);
  Napi::Value UpdateConstant(const Napi::CallbackInfo& info);
  Napi::Value GetIsa(const Napi::CallbackInfo& info);
  Napi::Value GetThreads(const Napi::CallbackInfo& info);
  Napi::Value GetArenaBytes(const Napi::CallbackInfo& info);
  Napi::Value GetProfile(const Napi::CallbackInfo& info);

  friend class RunWorker;
  std::shared_ptr<Session> session_;
  bool busy_ = false;
};

// Throws a JS Error whose `code` is the status code (the TS layer turns it into GoldcrestError).
Napi::Error MakeError(Napi::Env env, Status status, const std::string& message);

}  // namespace gc
