// Status codes of the native runtime. Every error leaving C++ carries one; the binding maps it to
// the `code` of a GoldcrestError (see StatusCode), so TS callers get typed errors.
#pragma once
#include <stdexcept>
#include <string>

namespace gc {

enum class Status : int {
  kOk = 0,
  kFeed,           // E_FEED: a feed does not match the plan
  kShape,          // E_SHAPE: inconsistent dims in a plan
  kDtype,          // E_DTYPE
  kUnsupportedOp,  // E_UNSUPPORTED_OP: no kernel / attribute value not handled
  kArgument,       // E_ARGUMENT: bad option (e.g. an ISA this CPU lacks), released session
  kRuntime,        // E_RUNTIME: failure while executing
  kInternal,       // E_INTERNAL: a bug
};

inline const char* StatusCode(Status s) {
  switch (s) {
    case Status::kOk: return "OK";
    case Status::kFeed: return "E_FEED";
    case Status::kShape: return "E_SHAPE";
    case Status::kDtype: return "E_DTYPE";
    case Status::kUnsupportedOp: return "E_UNSUPPORTED_OP";
    case Status::kArgument: return "E_ARGUMENT";
    case Status::kRuntime: return "E_RUNTIME";
    case Status::kInternal: return "E_INTERNAL";
  }
  return "E_INTERNAL";
}

// The one exception type the runtime throws on purpose.
class Error : public std::runtime_error {
 public:
  Error(Status status, const std::string& message) : std::runtime_error(message), status_(status) {}
  Status status() const { return status_; }

 private:
  Status status_;
};

}  // namespace gc
