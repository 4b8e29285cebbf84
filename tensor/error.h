// staa::Error and STAA_CHECK: every failure names the op or file, what was expected and what came.
// Layer: tensor (the bottom). Messages are built only when a check fails, so checks are cheap.
#pragma once

#include <sstream>
#include <stdexcept>
#include <string>

namespace staa {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

// Thrown for an op / backend / dtype combination that truly cannot be supported.
class Unsupported : public Error {
 public:
  Unsupported(const std::string& op, const std::string& backend)
      : Error(op + ": not supported on the " + backend + " backend") {}
};

namespace detail {
template <typename... Args>
[[noreturn]] void throw_error(const char* file, int line, const Args&... args) {
  std::ostringstream out;
  (out << ... << args);
  out << " [" << file << ":" << line << "]";
  throw Error(out.str());
}
}  // namespace detail

}  // namespace staa

// STAA_CHECK(cond, "conv2d: weight has ", c, " input channels, x has ", x_c)
#define STAA_CHECK(cond, ...)                                                  \
  do {                                                                         \
    if (!(cond)) ::staa::detail::throw_error(__FILE__, __LINE__, __VA_ARGS__); \
  } while (0)

#define STAA_FAIL(...) ::staa::detail::throw_error(__FILE__, __LINE__, __VA_ARGS__)
