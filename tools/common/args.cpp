// key=value arguments of the tools (tools/common/args.h). Layer: tools.
#include "tools/common/args.h"

#include <algorithm>
#include <cstdlib>
#include <exception>
#include <iostream>
#include <sstream>

#include "tensor/error.h"

namespace staa::tools {

Args::Args(const std::string& tool, const std::vector<std::string>& words,
           const std::vector<std::string>& required, const std::vector<std::string>& optional)
    : tool_(tool) {
  auto known = [&](const std::string& key) {
    return std::count(required.begin(), required.end(), key) +
               std::count(optional.begin(), optional.end(), key) >
           0;
  };
  for (const std::string& arg : words) {
    const size_t eq = arg.find('=');
    STAA_CHECK(eq != std::string::npos && eq > 0, tool, ": expected key=value, got '", arg,
               "' (see ", tool, " --help)");
    const std::string key = arg.substr(0, eq);
    STAA_CHECK(known(key), tool, ": unknown key '", key, "' (see ", tool, " --help)");
    STAA_CHECK(values_.emplace(key, arg.substr(eq + 1)).second, tool, ": key '", key,
               "' is given twice");
  }
  for (const std::string& key : required)
    STAA_CHECK(has(key), tool, ": missing ", key, "=... (see ", tool, " --help)");
}

std::string Args::text(const std::string& key, const std::string& fallback) const {
  const auto it = values_.find(key);
  if (it == values_.end()) return fallback;
  STAA_CHECK(!it->second.empty(), tool_, ": ", key, " is empty");
  return it->second;
}

namespace {

bool parse_int(const std::string& s, int64_t& v) {
  char* end = nullptr;
  v = std::strtoll(s.c_str(), &end, 10);
  return !s.empty() && end && *end == '\0';
}

}  // namespace

int64_t Args::integer(const std::string& key, int64_t fallback, int64_t low, int64_t high) const {
  if (!has(key)) return fallback;
  const std::string s = text(key);
  int64_t v = 0;
  STAA_CHECK(parse_int(s, v) && v >= low && v <= high, tool_, ": ", key, " expects an integer in [",
             low, ", ", high, "], got '", s, "'");
  return v;
}

double Args::real(const std::string& key, double fallback, double low, double high) const {
  if (!has(key)) return fallback;
  const std::string s = text(key);
  char* end = nullptr;
  const double v = std::strtod(s.c_str(), &end);
  STAA_CHECK(end && *end == '\0' && v >= low && v <= high, tool_, ": ", key,
             " expects a number in [", low, ", ", high, "], got '", s, "'");
  return v;
}

std::vector<int64_t> Args::integers(const std::string& key, int64_t low, int64_t high) const {
  std::vector<int64_t> out;
  std::stringstream list(text(key));
  std::string item;
  while (std::getline(list, item, ',')) {
    int64_t v = 0;
    STAA_CHECK(parse_int(item, v) && v >= low && v <= high, tool_, ": ", key,
               " expects integers in [", low, ", ", high, "] separated by commas, got '", item,
               "' in '", text(key), "'");
    out.push_back(v);
  }
  STAA_CHECK(!out.empty(), tool_, ": ", key, " lists no value");
  return out;
}

bool Args::flag(const std::string& key, bool fallback) const {
  if (!has(key)) return fallback;
  const std::string s = text(key);
  STAA_CHECK(s == "0" || s == "1", tool_, ": ", key, " expects 0 or 1, got '", s, "'");
  return s == "1";
}

int run_tool(int argc, char** argv, int (*body)(int argc, char** argv)) {
  try {
    return body(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << e.what() << "\n";
    return 1;
  }
}

}  // namespace staa::tools
