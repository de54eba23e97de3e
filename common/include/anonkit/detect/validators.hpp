// Checksum and structure validators for recognizer candidates. Each takes the candidate exactly as
// it stands in the text (separators included) and answers whether it is a real instance.
#pragma once

#include <string_view>

namespace anonkit::detect {

// Luhn (ISO/IEC 7812-1 annex B) over a string of ASCII digits only.
[[nodiscard]] bool luhn_valid(std::string_view digits) noexcept;

// A payment card number: 12-19 digits, optionally grouped by single spaces or single dashes in the
// usual groupings (4-4-4-4, 4-6-5 for Amex, 4-4-4-4-3 ...), a real issuer prefix with a length that
// issuer uses (Visa, Mastercard incl. 2-series, Amex, Discover, Diners, JCB, UnionPay, Maestro),
// and Luhn.
[[nodiscard]] bool card_valid(std::string_view candidate) noexcept;

// An IBAN, compact ("GB82WEST12345698765432") or grouped by 4 with single spaces: a known country
// code, that country's length (ISO 13616 registry), and ISO 7064 mod 97-10 == 1. Letters upper-case
// only.
[[nodiscard]] bool iban_valid(std::string_view candidate) noexcept;

// A US social security number "123-45-6789" or "123 45 6789" or "123456789": area not 000, 666 or
// 900-999; group not 00; serial not 0000.
[[nodiscard]] bool us_ssn_valid(std::string_view candidate) noexcept;

// Dotted-quad IPv4, every octet 0-255, no leading zeros on multi-digit octets.
[[nodiscard]] bool ipv4_valid(std::string_view candidate) noexcept;

// IPv6 text form (RFC 4291 section 2.2), including "::" compression and an embedded IPv4 tail;
// no zone index.
[[nodiscard]] bool ipv6_valid(std::string_view candidate) noexcept;

// A calendar date in one of: YYYY-MM-DD, YYYY/MM/DD, DD/MM/YYYY, DD-MM-YYYY, DD.MM.YYYY, with a
// real day for that month (leap years included) and a year between 1900 and 2100.
[[nodiscard]] bool date_valid(std::string_view candidate) noexcept;

}  // namespace anonkit::detect
