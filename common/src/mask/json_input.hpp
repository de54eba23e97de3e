// Reading a JSON argument from SQL: every way nlohmann can fail (syntax, numbers out of range,
// depth) becomes one InvalidArgument saying what was expected.
#pragma once

#include <fmt/format.h>

#include <nlohmann/json.hpp>
#include <string_view>

#include "anonkit/error.hpp"

namespace anonkit::mask::internal {

// `expected` completes "anonkit: <expected>; could not parse it ...".
inline nlohmann::json parse_json_argument(std::string_view json, std::string_view expected) {
  try {
    return nlohmann::json::parse(json);
  } catch (const nlohmann::json::parse_error& e) {
    throw InvalidArgument(
        fmt::format("anonkit: {}; could not parse it at byte {}", expected, e.byte));
  } catch (const nlohmann::json::exception&) {
    throw InvalidArgument(fmt::format(
        "anonkit: {}; it holds a value that cannot be read (a number out of range?)", expected));
  }
}

}  // namespace anonkit::mask::internal
