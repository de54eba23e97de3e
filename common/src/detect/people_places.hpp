// PERSON and LOCATION without a language model: runs of capitalized words decided by name and
// place lists, titles and context phrases ("Mr", "Dr", "Bi.", "my name is", "jina langu ni"),
// and stop words (days, months, organisation words, names that are also ordinary words).
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "anonkit/detect/entity.hpp"

namespace anonkit::detect {

// Appends PERSON (type `person`) and LOCATION (type `location`) candidates found in `text` (the
// scan view) to `out`.
void find_people_and_places(std::string_view text, std::uint32_t person, std::uint32_t location,
                            std::vector<Entity>& out);

}  // namespace anonkit::detect
