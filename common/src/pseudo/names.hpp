// The name lists behind pseudonym(value, 'name'|'email'), compiled in from common/data/names/*.txt
// (a generated source; see common/CMakeLists.txt).
#pragma once

#include <string>
#include <vector>

namespace anonkit::pseudo::names {

[[nodiscard]] const std::vector<std::string>& first();
[[nodiscard]] const std::vector<std::string>& last();

}  // namespace anonkit::pseudo::names
