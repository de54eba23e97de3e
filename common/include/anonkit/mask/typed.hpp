// Typed partial masks: one value of a known kind, masked so its format survives and only the part
// people need to recognise it (a card's last four digits, an e-mail's domain) stays readable.
// A value that does not have the shape of its type is masked completely: never a partial leak.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace anonkit::mask {

enum class MaskType {
  kEmail,
  kPhone,
  kCard,
  kIban,
  kSsn,
  kName,
  kIp,
  kMac,
  kUrl,
  kDate,
  kId,
  kAll
};

// Accepts the lower-case names ("email", "card", ...) and the recognizer names ("CREDIT_CARD",
// "US_SSN", ...), case-insensitively.
[[nodiscard]] std::optional<MaskType> parse_mask_type(std::string_view name) noexcept;
// "email, phone, card, iban, ssn, name, ip, mac, url, date, id, all": for error messages.
[[nodiscard]] std::string_view mask_type_names() noexcept;
// The typed mask a detected entity of recognizer type `type` gets in the "partial" style.
[[nodiscard]] MaskType mask_type_for_entity(std::string_view type) noexcept;

[[nodiscard]] std::string mask_typed(std::string_view value, MaskType type);

// Keeps the first `keep_first` and last `keep_last` characters (code points) and replaces each
// other character with `fill` (one character). When nothing would be hidden, everything is.
// Throws InvalidArgument for negative counts or a fill that is not exactly one character.
[[nodiscard]] std::string mask_partial(std::string_view value, std::int64_t keep_first,
                                       std::int64_t keep_last, std::string_view fill = "*");

}  // namespace anonkit::mask
