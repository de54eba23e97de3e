// Reading a JSON argument from SQL: every way nlohmann can fail (syntax, numbers out of range,
// depth) becomes one InvalidArgument saying what was expected.
#pragma once

#include <fmt/format.h>

#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "anonkit/error.hpp"

namespace anonkit::mask::internal {

// Nesting deeper than this is refused while parsing (nothing then walks a deep document, and no
// message ever serializes one).
inline constexpr int kMaxJsonDepth = 32;

// `expected` completes "anonkit: <expected>; could not parse it ...". A key that appears twice
// in one object is an error (the first would be silently ignored).
inline nlohmann::json parse_json_argument(std::string_view json, std::string_view expected) {
  std::vector<std::set<std::string>> keys;  // per open object
  const nlohmann::json::parser_callback_t check =
      [&](int depth, nlohmann::json::parse_event_t event, nlohmann::json& parsed) {
        using Event = nlohmann::json::parse_event_t;
        if (depth > kMaxJsonDepth)
          throw InvalidArgument(fmt::format("anonkit: {}; it is nested more than {} levels deep",
                                            expected, kMaxJsonDepth));
        if (event == Event::object_start) keys.emplace_back();
        if (event == Event::object_end && !keys.empty()) keys.pop_back();
        if (event == Event::key && !keys.empty() && parsed.is_string() &&
            !keys.back().insert(parsed.get<std::string>()).second) {
          // Named only when it is an option name (lower case and '_'): a key of unmask's items
          // may be anything a caller put there, and messages never carry data.
          const auto& key = parsed.get_ref<const std::string&>();
          const bool option_name =
              !key.empty() && key.size() <= 32 &&
              key.find_first_not_of("abcdefghijklmnopqrstuvwxyz_") == std::string::npos;
          throw InvalidArgument(fmt::format("anonkit: {}; a key appears twice in one object{}",
                                            expected, option_name ? ": \"" + key + "\"" : ""));
        }
        return true;
      };
  try {
    return nlohmann::json::parse(json, check);
  } catch (const nlohmann::json::parse_error& e) {
    throw InvalidArgument(
        fmt::format("anonkit: {}; could not parse it at byte {}", expected, e.byte));
  } catch (const nlohmann::json::exception&) {
    throw InvalidArgument(fmt::format(
        "anonkit: {}; it holds a value that cannot be read (a number out of range?)", expected));
  }
}

// A value named in an error message: scalars as written (cut short), containers by kind.
inline std::string describe_json(const nlohmann::json& v) {
  if (v.is_object()) return "an object";
  if (v.is_array()) return "an array";
  std::string s = v.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  if (s.size() > 40) {
    std::size_t cut = 37;
    while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
    s = s.substr(0, cut) + "...";
  }
  return s;
}

}  // namespace anonkit::mask::internal
