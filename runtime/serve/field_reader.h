// Reads the fields of one JSON request object, stopping at the first problem with a
// message that names the field ("missing field 'text'", "field 'labels' must be ...").
// Shared by the serial request parser (serve/request.cpp) and the classify request
// fields that `linnet classify --jsonl` reads too (serve/classify_fields.h).
#pragma once

#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace linnet::serve {

// [min, max], with either end open.
struct NumberRange {
  double min = 0;
  double max = 0;
  bool min_open = false;
  bool max_open = false;
};

// Reads the fields of one request object, stopping at the first problem and keeping
// a message that names the field. Every getter checks the JSON type before reading,
// so nlohmann never throws.
class FieldReader {
 public:
  explicit FieldReader(const nlohmann::json& object) : object_(object) {}

  const std::string& error() const { return error_; }
  bool has(std::string_view key) const { return object_.contains(key); }

  bool read_string(std::string_view key, bool required, std::size_t max_bytes, std::string& out) {
    const nlohmann::json* v = find(key, required);
    if (v == nullptr) return error_.empty();
    if (!v->is_string()) return fail(key, "must be a string");
    const auto& s = v->get_ref<const std::string&>();
    if (s.size() > max_bytes) return fail(key, "is longer than " + std::to_string(max_bytes) + " bytes");
    out = s;
    return true;
  }

  bool read_uint(std::string_view key, bool required, std::uint64_t min, std::uint64_t max,
                 std::uint64_t& out) {
    const nlohmann::json* v = find(key, required);
    if (v == nullptr) return error_.empty();
    const std::string range = "an integer in " + std::to_string(min) + ".." + std::to_string(max);
    // nlohmann stores non-negative integers as unsigned: anything else (negative,
    // fractional, not a number) is out.
    if (!v->is_number_unsigned()) return fail(key, "must be " + range);
    out = v->get<std::uint64_t>();
    if (out < min || out > max) return fail(key, "must be " + range);
    return true;
  }

  // Optional unsigned field: `out` is set only when present (and valid).
  template <typename T>
  bool read_uint(std::string_view key, std::uint64_t min, std::uint64_t max, std::optional<T>& out) {
    if (!has(key)) return true;
    std::uint64_t v = 0;
    if (!read_uint(key, true, min, max, v)) return false;
    out = static_cast<T>(v);
    return true;
  }

  // A number in `range`; `out` is set only when present (and valid).
  bool read_number(std::string_view key, const NumberRange& range, std::optional<float>& out) {
    const nlohmann::json* v = find(key, false);
    if (v == nullptr) return error_.empty();
    const std::string shape = "must be a number in " + std::string(range.min_open ? "(" : "[") +
                              trim_number(range.min) + ", " + trim_number(range.max) +
                              (range.max_open ? ")" : "]");
    if (!v->is_number()) return fail(key, shape);
    const double d = v->get<double>();
    if (!std::isfinite(d) || d > range.max || d < range.min || (range.min_open && d == range.min) ||
        (range.max_open && d == range.max)) {
      return fail(key, shape);
    }
    out = static_cast<float>(d);
    return true;
  }

  bool read_bool(std::string_view key, std::optional<bool>& out) {
    const nlohmann::json* v = find(key, false);
    if (v == nullptr) return error_.empty();
    if (!v->is_boolean()) return fail(key, "must be true or false");
    out = v->get<bool>();
    return true;
  }

  // An array of min..max distinct strings, each 1..max_bytes bytes.
  bool read_string_list(std::string_view key, bool required, std::size_t min, std::size_t max,
                        std::size_t max_bytes, std::vector<std::string>& out) {
    const nlohmann::json* v = find(key, required);
    if (v == nullptr) return error_.empty();
    const std::string shape = "must be an array of " + std::to_string(min) + ".." +
                              std::to_string(max) + " distinct non-empty strings of at most " +
                              std::to_string(max_bytes) + " bytes";
    if (!v->is_array() || v->size() < min || v->size() > max) return fail(key, shape);
    out.clear();
    for (const nlohmann::json& item : *v) {
      if (!item.is_string()) return fail(key, shape);
      const auto& s = item.get_ref<const std::string&>();
      if (s.empty() || s.size() > max_bytes) return fail(key, shape);
      for (const std::string& seen : out) {
        if (seen == s) return fail(key, shape + " ('" + s + "' appears twice)");
      }
      out.push_back(s);
    }
    return true;
  }

  // Fails on any key not in `allowed` (besides "id" and "cmd"): a misspelt optional
  // field would otherwise be silently ignored.
  bool only(std::string_view cmd, std::initializer_list<std::string_view> allowed) {
    return only(cmd, std::span<const std::string_view>(allowed.begin(), allowed.size()));
  }
  bool only(std::string_view cmd, std::span<const std::string_view> allowed) {
    for (const auto& item : object_.items()) {
      const std::string& key = item.key();
      if (key == "id" || key == "cmd") continue;
      bool known = false;
      for (std::string_view a : allowed) known = known || a == key;
      if (!known) {
        std::string list;
        for (std::string_view a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
        error_ = "unknown field '" + key + "' (" + std::string(cmd) + " takes " +
                 (list.empty() ? "no fields" : list) + ")";
        return false;
      }
    }
    return true;
  }

  bool fail(std::string_view key, std::string_view what) {
    error_ = "field '" + std::string(key) + "' " + std::string(what);
    return false;
  }

 private:
  const nlohmann::json* find(std::string_view key, bool required) {
    auto it = object_.find(key);
    if (it == object_.end()) {
      if (required) error_ = "missing field '" + std::string(key) + "'";
      return nullptr;
    }
    return &*it;
  }

  static std::string trim_number(double d) {
    std::string s = std::to_string(d);
    while (!s.empty() && s.back() == '0') s.pop_back();
    if (!s.empty() && s.back() == '.') s.pop_back();
    return s;
  }

  const nlohmann::json& object_;
  std::string error_;
};

}  // namespace linnet::serve
