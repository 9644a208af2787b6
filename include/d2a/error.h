#pragma once
// The one exception type of the library. Only main() catches it: it prints the message on one
// line and exits 2 for bad input (a file, flag or value the user gave) or 1 for a failure while
// doing the work (out of memory, disk full, a crash in a dependency).
#include <stdexcept>
#include <string>

namespace d2a {

enum class ErrorKind {
  kBadInput,  // exit status 2: the user can fix it by changing what they passed
  kRuntime,   // exit status 1: the input was fine, the work failed
};

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message, ErrorKind kind = ErrorKind::kBadInput)
      : std::runtime_error(message), kind_(kind) {}
  ErrorKind kind() const { return kind_; }
  int exit_status() const { return kind_ == ErrorKind::kBadInput ? 2 : 1; }

 private:
  ErrorKind kind_;
};

// Shorthands that read well at the throw site: `throw bad_input(path + ": empty folder")`.
inline Error bad_input(const std::string& message) { return Error(message, ErrorKind::kBadInput); }
inline Error runtime_failure(const std::string& message) {
  return Error(message, ErrorKind::kRuntime);
}

}  // namespace d2a
