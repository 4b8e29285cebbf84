// The strict JSON subset of safetensors headers: objects (unique keys, order kept), arrays,
// UTF-8 strings and non-negative integers below 2^63; and its compact canonical serialisation.
// Layer: tensor, private to safetensors.cpp (header-only so it needs no build entry). Invariant:
// serialize(parse(text)) == text exactly when text is compact canonical JSON (what we write).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_set>
#include <utility>
#include <vector>

#include "tensor/error.h"

namespace staa::safetensors_json {

struct Json {
  enum class Kind { kObject, kArray, kString, kInteger };
  Kind kind = Kind::kObject;
  std::string str;
  int64_t integer = 0;
  std::vector<std::pair<std::string, Json>> members;  // kObject, in file order
  std::vector<Json> items;                            // kArray
};

inline const char* kind_name(Json::Kind k) {
  switch (k) {
    case Json::Kind::kObject:
      return "an object";
    case Json::Kind::kArray:
      return "an array";
    case Json::Kind::kString:
      return "a string";
    case Json::Kind::kInteger:
      return "an integer";
  }
  return "?";
}

// Length of the well-formed UTF-8 sequence (2-4 bytes) starting at s[i], or 0: no overlongs, no
// surrogates, nothing above U+10FFFF.
inline size_t utf8_sequence_length(std::string_view s, size_t i) {
  auto byte = [&](size_t k) { return k < s.size() ? static_cast<unsigned char>(s[k]) : 0u; };
  auto cont = [&](size_t k) { return (byte(k) & 0xC0u) == 0x80u; };
  const unsigned b0 = byte(i), b1 = byte(i + 1);
  if (b0 >= 0xC2 && b0 <= 0xDF) return cont(i + 1) ? 2 : 0;
  if (b0 >= 0xE0 && b0 <= 0xEF) {
    const bool ok1 = b0 == 0xE0   ? (b1 >= 0xA0 && b1 <= 0xBF)
                     : b0 == 0xED ? (b1 >= 0x80 && b1 <= 0x9F)
                                  : cont(i + 1);
    return ok1 && cont(i + 2) ? 3 : 0;
  }
  if (b0 >= 0xF0 && b0 <= 0xF4) {
    const bool ok1 = b0 == 0xF0   ? (b1 >= 0x90 && b1 <= 0xBF)
                     : b0 == 0xF4 ? (b1 >= 0x80 && b1 <= 0x8F)
                                  : cont(i + 1);
    return ok1 && cont(i + 2) && cont(i + 3) ? 4 : 0;
  }
  return 0;
}

inline bool valid_utf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    if (static_cast<unsigned char>(s[i]) < 0x80) {
      ++i;
      continue;
    }
    const size_t n = utf8_sequence_length(s, i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

inline void append_utf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// Parses one header; every error names `ctx` (the file), the byte offset, what was expected and
// what was found. Nesting is bounded, so hostile input cannot exhaust the stack.
class Parser {
 public:
  static constexpr int kMaxDepth = 3;  // root { entry { shape [ ] } }

  Parser(std::string_view text, const std::string& ctx) : text_(text), ctx_(ctx) {}

  // The whole header: one object, then nothing but the space padding safetensors writers add.
  Json parse_document() {
    skip_whitespace();
    if (!peek('{')) fail("'{' opening the header object");
    Json root = parse_value(0);
    while (peek(' ')) ++pos_;
    if (pos_ != text_.size()) fail("only space padding after the header object");
    return root;
  }

 private:
  [[noreturn]] void fail(const char* expected) const {
    STAA_FAIL(ctx_, ": header is not valid JSON of the expected form: at byte ", pos_, " expected ",
              expected, ", found ", found());
  }
  std::string found() const {
    if (pos_ >= text_.size()) return "the end of the header";
    const unsigned char c = static_cast<unsigned char>(text_[pos_]);
    if (c >= 0x20 && c < 0x7F) return std::string("'") + static_cast<char>(c) + "'";
    static constexpr char kHex[] = "0123456789abcdef";
    return std::string("byte 0x") + kHex[c >> 4] + kHex[c & 0xF];
  }
  bool peek(char c) const { return pos_ < text_.size() && text_[pos_] == c; }
  void skip_whitespace() {
    while (peek(' ') || peek('\t') || peek('\n') || peek('\r')) ++pos_;
  }
  void expect(char c, const char* what) {
    skip_whitespace();
    if (!peek(c)) fail(what);
    ++pos_;
  }

  Json parse_value(int depth) {
    skip_whitespace();
    if (depth > kMaxDepth) fail("at most 3 levels of nesting");
    Json j;
    if (peek('{')) return parse_object(depth);
    if (peek('[')) return parse_array(depth);
    if (peek('"')) {
      j.kind = Json::Kind::kString;
      j.str = parse_string();
      return j;
    }
    if (peek('-')) fail("a non-negative integer (a header has no negative numbers)");
    if (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') return parse_integer();
    fail("an object, an array, a string or a non-negative integer");
  }

  Json parse_object(int depth) {
    Json j;
    ++pos_;  // '{'
    skip_whitespace();
    if (peek('}')) {
      ++pos_;
      return j;
    }
    std::unordered_set<std::string> keys;
    for (;;) {
      skip_whitespace();
      if (!peek('"')) fail("a string key");
      const size_t key_pos = pos_;
      std::string key = parse_string();
      if (!keys.insert(key).second) {
        pos_ = key_pos;
        fail(("a new key, the object already has \"" + key + "\"").c_str());
      }
      expect(':', "':' after an object key");
      j.members.emplace_back(std::move(key), parse_value(depth + 1));
      skip_whitespace();
      if (peek(',')) {
        ++pos_;
        continue;
      }
      if (!peek('}')) fail("',' or '}' in an object");
      ++pos_;
      return j;
    }
  }

  Json parse_array(int depth) {
    Json j;
    j.kind = Json::Kind::kArray;
    ++pos_;  // '['
    skip_whitespace();
    if (peek(']')) {
      ++pos_;
      return j;
    }
    for (;;) {
      j.items.push_back(parse_value(depth + 1));
      skip_whitespace();
      if (peek(',')) {
        ++pos_;
        continue;
      }
      if (!peek(']')) fail("',' or ']' in an array");
      ++pos_;
      return j;
    }
  }

  Json parse_integer() {
    if (peek('0') && pos_ + 1 < text_.size() && text_[pos_ + 1] >= '0' && text_[pos_ + 1] <= '9')
      fail("an integer without leading zeros");
    const size_t start = pos_;
    int64_t v = 0;
    while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') {
      const int d = text_[pos_] - '0';
      if (v > (INT64_MAX - d) / 10) {
        pos_ = start;
        fail("an integer below 2^63");
      }
      v = v * 10 + d;
      ++pos_;
    }
    if (peek('.') || peek('e') || peek('E')) fail("an integer (a header has no fractions)");
    Json j;
    j.kind = Json::Kind::kInteger;
    j.integer = v;
    return j;
  }

  std::string parse_string() {
    ++pos_;  // opening quote
    std::string out;
    for (;;) {
      if (pos_ >= text_.size()) fail("'\"' closing a string");
      const unsigned char c = static_cast<unsigned char>(text_[pos_]);
      if (c == '"') {
        ++pos_;
        return out;
      }
      if (c < 0x20) fail("no raw control characters in a string");
      if (c == '\\') {
        parse_escape(out);
      } else if (c < 0x80) {
        out += static_cast<char>(c);
        ++pos_;
      } else {
        const size_t n = utf8_sequence_length(text_, pos_);
        if (n == 0) fail("well-formed UTF-8 in a string");
        out.append(text_.substr(pos_, n));
        pos_ += n;
      }
    }
  }

  uint32_t parse_hex4() {
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i, ++pos_) {
      const char c = pos_ < text_.size() ? text_[pos_] : '\0';
      const int d = c >= '0' && c <= '9'   ? c - '0'
                    : c >= 'a' && c <= 'f' ? c - 'a' + 10
                    : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                           : -1;
      if (d < 0) fail("4 hex digits after \\u");
      v = (v << 4) | static_cast<uint32_t>(d);
    }
    return v;
  }

  void parse_escape(std::string& out) {
    ++pos_;  // backslash
    const char e = pos_ < text_.size() ? text_[pos_] : '\0';
    const std::string_view simple = "\"\\/bfnrt", decoded = "\"\\/\b\f\n\r\t";
    const size_t k = simple.find(e);
    if (e != '\0' && k != std::string_view::npos) {
      out += decoded[k];
      ++pos_;
      return;
    }
    if (e != 'u') fail("an escape: one of \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX");
    ++pos_;
    uint32_t cp = parse_hex4();
    if (cp >= 0xDC00 && cp <= 0xDFFF) fail("no lone low surrogate in \\u escapes");
    if (cp >= 0xD800 && cp <= 0xDBFF) {
      if (!(peek('\\') && pos_ + 1 < text_.size() && text_[pos_ + 1] == 'u'))
        fail("a \\u low surrogate after a high surrogate");
      pos_ += 2;
      const uint32_t low = parse_hex4();
      if (low < 0xDC00 || low > 0xDFFF) fail("a low surrogate \\uDC00-\\uDFFF");
      cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
    }
    append_utf8(out, cp);
  }

  std::string_view text_;
  const std::string& ctx_;
  size_t pos_ = 0;
};

// Canonical string form: escapes only '"', '\\' and control characters; UTF-8 kept as is.
inline void append_quoted(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  for (char ch : s) {
    const unsigned char c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += ch;
    } else if (c >= 0x20) {
      out += ch;
    } else {
      const std::string_view named = "\b\f\n\r\t", letters = "bfnrt";
      const size_t k = named.find(ch);
      out += '\\';
      if (k != std::string_view::npos) {
        out += letters[k];
      } else {
        out += "u00";
        out += kHex[c >> 4];
        out += kHex[c & 0xF];
      }
    }
  }
  out += '"';
}

inline void append_json(std::string& out, const Json& j) {
  switch (j.kind) {
    case Json::Kind::kString:
      append_quoted(out, j.str);
      return;
    case Json::Kind::kInteger:
      out += std::to_string(j.integer);
      return;
    case Json::Kind::kArray:
      out += '[';
      for (size_t i = 0; i < j.items.size(); ++i) {
        if (i) out += ',';
        append_json(out, j.items[i]);
      }
      out += ']';
      return;
    case Json::Kind::kObject:
      out += '{';
      for (size_t i = 0; i < j.members.size(); ++i) {
        if (i) out += ',';
        append_quoted(out, j.members[i].first);
        out += ':';
        append_json(out, j.members[i].second);
      }
      out += '}';
      return;
  }
}

// Compact canonical JSON: no whitespace, members in the order held.
inline std::string serialize(const Json& j) {
  std::string out;
  append_json(out, j);
  return out;
}

}  // namespace staa::safetensors_json
