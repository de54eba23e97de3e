// Telephone numbering facts shared by the PHONE recognizer and the phone mask.
#pragma once

#include <cstddef>
#include <string_view>

namespace anonkit::detect {

// Length (1-3) of the ITU-T E.164 country code that starts `digits`, or 0 when none does.
[[nodiscard]] std::size_t country_code_length(std::string_view digits) noexcept;

}  // namespace anonkit::detect
