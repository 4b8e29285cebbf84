// key=value arguments of the tools, checked against the keys a tool knows, with value parsers whose
// errors name the tool and the key. Layer: tools.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace staa::tools {

// key=value arguments; throws naming the tool for a malformed or unknown key, a key given twice,
// or a missing required key.
class Args {
 public:
  Args(const std::string& tool, const std::vector<std::string>& words,
       const std::vector<std::string>& required, const std::vector<std::string>& optional);
  const std::string& tool() const { return tool_; }
  bool has(const std::string& key) const { return values_.count(key) != 0; }
  std::string text(const std::string& key, const std::string& fallback = "") const;
  int64_t integer(const std::string& key, int64_t fallback, int64_t low, int64_t high) const;
  double real(const std::string& key, double fallback, double low, double high) const;
  // "0,1,2" -> {0, 1, 2}, each in [low, high].
  std::vector<int64_t> integers(const std::string& key, int64_t low, int64_t high) const;
  // 0 or 1.
  bool flag(const std::string& key, bool fallback) const;

 private:
  std::string tool_;
  std::map<std::string, std::string> values_;
};

// A tool's main: runs `body` and turns an exception into its message on stderr and status 1.
int run_tool(int argc, char** argv, int (*body)(int argc, char** argv));

}  // namespace staa::tools
