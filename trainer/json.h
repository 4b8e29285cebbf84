// A small JSON reader for the files other tools leave in a run directory (energy.json): null,
// booleans, numbers, strings (with \u escapes, written out as UTF-8), arrays and objects. Layer:
// trainer. Errors name the source, line and column, what was expected and what came; nesting
// deeper than 64 levels is refused.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace staa::train {

struct JsonValue {
  enum class Kind { kNull, kBool, kNumber, kString, kArray, kObject };
  Kind kind = Kind::kNull;
  bool boolean = false;
  double number = 0;
  std::string str;
  std::vector<JsonValue> items;                            // kArray
  std::vector<std::pair<std::string, JsonValue>> members;  // kObject, in file order

  const JsonValue* find(const std::string& key) const;  // nullptr when absent or not an object
};

const char* json_kind_name(JsonValue::Kind kind);  // "a number", "an object", ...

// `source` names the text in errors (a file name).
JsonValue parse_json(std::string_view text, const std::string& source);

}  // namespace staa::train
