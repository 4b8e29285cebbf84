// The JSON reader of trainer/json.h: a recursive-descent parser over a string_view. Layer:
// trainer. Positions in errors are 1-based lines and columns of the byte where parsing stopped.
#include "trainer/json.h"

#include <cstdlib>

#include "tensor/error.h"

namespace staa::train {
namespace {

constexpr int kMaxDepth = 64;

class Parser {
 public:
  Parser(std::string_view text, const std::string& source) : text_(text), source_(source) {}

  JsonValue document() {
    JsonValue v = value(0);
    skip_space();
    if (pos_ < text_.size()) fail("the end of the text", describe());
    return v;
  }

 private:
  [[noreturn]] void fail(const std::string& expected, const std::string& got) const {
    size_t line = 1, column = 1;
    for (size_t i = 0; i < pos_ && i < text_.size(); ++i) {
      column = text_[i] == '\n' ? 1 : column + 1;
      if (text_[i] == '\n') ++line;
    }
    STAA_FAIL(source_, ": line ", line, ", column ", column, ": expected ", expected, ", got ",
              got);
  }
  std::string describe() const {
    if (pos_ >= text_.size()) return "the end of the text";
    std::string quoted = "'";
    quoted += text_[pos_];
    return quoted += '\'';
  }
  void skip_space() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\n' ||
                                   text_[pos_] == '\r' || text_[pos_] == '\t'))
      ++pos_;
  }
  bool take(char c) {
    skip_space();
    if (pos_ < text_.size() && text_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  void expect(char c) {
    if (!take(c)) fail(std::string("'") + c + "'", describe());
  }
  bool take_word(std::string_view word) {
    if (text_.substr(pos_, word.size()) != word) return false;
    pos_ += word.size();
    return true;
  }

  JsonValue value(int depth) {
    if (depth > kMaxDepth) fail("at most 64 levels of nesting", "more");
    skip_space();
    JsonValue v;
    const char c = pos_ < text_.size() ? text_[pos_] : '\0';
    if (c == '{') return object(depth);
    if (c == '[') return array(depth);
    if (c == '"') {
      v.kind = JsonValue::Kind::kString;
      v.str = string();
    } else if (take_word("null")) {
      v.kind = JsonValue::Kind::kNull;
    } else if (take_word("true")) {
      v.kind = JsonValue::Kind::kBool;
      v.boolean = true;
    } else if (take_word("false")) {
      v.kind = JsonValue::Kind::kBool;
    } else {
      v.kind = JsonValue::Kind::kNumber;
      v.number = number();
    }
    return v;
  }

  JsonValue object(int depth) {
    JsonValue v;
    v.kind = JsonValue::Kind::kObject;
    expect('{');
    if (take('}')) return v;
    do {
      skip_space();
      if (pos_ >= text_.size() || text_[pos_] != '"') fail("a key in quotes", describe());
      std::string key = string();
      expect(':');
      v.members.emplace_back(std::move(key), value(depth + 1));
    } while (take(','));
    if (!take('}')) fail("',' or '}'", describe());
    return v;
  }

  JsonValue array(int depth) {
    JsonValue v;
    v.kind = JsonValue::Kind::kArray;
    expect('[');
    if (take(']')) return v;
    do v.items.push_back(value(depth + 1));
    while (take(','));
    if (!take(']')) fail("',' or ']'", describe());
    return v;
  }

  double number() {
    const size_t start = pos_;
    while (pos_ < text_.size() &&
           std::string_view("+-0123456789.eE").find(text_[pos_]) != std::string_view::npos)
      ++pos_;
    const std::string digits(text_.substr(start, pos_ - start));
    char* end = nullptr;
    const double d = std::strtod(digits.c_str(), &end);
    if (digits.empty() || *end != '\0') {
      pos_ = start;
      fail("a value (number, string, array, object, true, false or null)", describe());
    }
    return d;
  }

  void append_utf8(unsigned code, std::string& out) {
    if (code < 0x80) {
      out += static_cast<char>(code);
    } else if (code < 0x800) {
      out += static_cast<char>(0xC0 | (code >> 6));
      out += static_cast<char>(0x80 | (code & 0x3F));
    } else if (code < 0x10000) {
      out += static_cast<char>(0xE0 | (code >> 12));
      out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (code & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (code >> 18));
      out += static_cast<char>(0x80 | ((code >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (code & 0x3F));
    }
  }

  unsigned hex4() {
    if (pos_ + 4 > text_.size()) fail("four hex digits after \\u", "the end of the text");
    const std::string digits(text_.substr(pos_, 4));
    char* end = nullptr;
    const unsigned long code = std::strtoul(digits.c_str(), &end, 16);
    if (*end != '\0') fail("four hex digits after \\u", "'" + digits + "'");
    pos_ += 4;
    return static_cast<unsigned>(code);
  }

  std::string string() {
    ++pos_;  // the opening quote
    std::string out;
    while (pos_ < text_.size() && text_[pos_] != '"') {
      const char c = text_[pos_++];
      if (static_cast<unsigned char>(c) < 0x20) fail("no control characters in a string", "one");
      if (c != '\\') {
        out += c;
        continue;
      }
      if (pos_ >= text_.size()) break;
      const char e = text_[pos_++];
      const std::string_view plain = "\"\\/bfnrt", meaning = "\"\\/\b\f\n\r\t";
      if (const size_t k = plain.find(e); k != std::string_view::npos) {
        out += meaning[k];
      } else if (e == 'u') {
        unsigned code = hex4();
        if (code >= 0xD800 && code < 0xDC00 && take_word("\\u"))
          code = 0x10000 + ((code - 0xD800) << 10) + (hex4() - 0xDC00);
        append_utf8(code, out);
      } else {
        --pos_;
        fail("an escape (one of \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\u)", describe());
      }
    }
    if (pos_ >= text_.size()) fail("a closing '\"'", "the end of the text");
    ++pos_;
    return out;
  }

  std::string_view text_;
  const std::string& source_;
  size_t pos_ = 0;
};

}  // namespace

const JsonValue* JsonValue::find(const std::string& key) const {
  if (kind != Kind::kObject) return nullptr;
  for (const auto& [name, value] : members)
    if (name == key) return &value;
  return nullptr;
}

const char* json_kind_name(JsonValue::Kind kind) {
  switch (kind) {
    case JsonValue::Kind::kNull:
      return "null";
    case JsonValue::Kind::kBool:
      return "a boolean";
    case JsonValue::Kind::kNumber:
      return "a number";
    case JsonValue::Kind::kString:
      return "a string";
    case JsonValue::Kind::kArray:
      return "an array";
    case JsonValue::Kind::kObject:
      return "an object";
  }
  return "?";
}

JsonValue parse_json(std::string_view text, const std::string& source) {
  return Parser(text, source).document();
}

}  // namespace staa::train
