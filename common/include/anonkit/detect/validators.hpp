// Checksum and structure validators for recognizer candidates. Each takes the candidate exactly as
// it stands in the text (separators included) and answers whether it is a real instance.
#pragma once

#include <string_view>

namespace anonkit::detect {

// Luhn (ISO/IEC 7812-1 annex B) over a string of ASCII digits only.
[[nodiscard]] bool luhn_valid(std::string_view digits) noexcept;

// A payment card number: 12-19 digits, optionally grouped by single spaces or single dashes (one
// kind throughout) in the usual groupings (fours with a shorter last group, e.g. 4-4-4-4 or
// 4-4-4-4-3; 4-6-5 for Amex, 4-6-4 for Diners), a real issuer prefix with a length that issuer uses
// (Visa, Mastercard incl. 2-series, Amex, Discover, Diners, JCB, UnionPay, Maestro; see the table
// in validators.cpp), and Luhn.
[[nodiscard]] bool card_valid(std::string_view candidate) noexcept;
// As people write cards: separators ' ', '-', '/' mixed and doubled, Luhn always; with
// `card_word` (a card word nearby) any 12-19 digits, otherwise card_valid's issuer rules.
[[nodiscard]] bool card_number_valid(std::string_view candidate, bool card_word) noexcept;

// An IBAN, compact ("GB82WEST12345698765432") or grouped by 4 with single spaces: a country code
// from the ISO 13616 (SWIFT) registry, that country's exact length, check digits 02-98, and
// ISO 7064 mod 97-10 == 1. Letters upper-case only.
[[nodiscard]] bool iban_valid(std::string_view candidate) noexcept;

// A US social security number "123-45-6789" or "123 45 6789" or "123456789": area not 000, 666 or
// 900-999; group not 00; serial not 0000.
[[nodiscard]] bool us_ssn_valid(std::string_view candidate) noexcept;

// Dotted-quad IPv4: exactly four octets 0-255, no leading zeros on multi-digit octets.
[[nodiscard]] bool ipv4_valid(std::string_view candidate) noexcept;

// IPv6 text form (RFC 4291 section 2.2), including "::" compression and an embedded IPv4 tail;
// no zone index.
[[nodiscard]] bool ipv6_valid(std::string_view candidate) noexcept;

// A calendar date in one of: YYYY-MM-DD, YYYY/MM/DD, DD/MM/YYYY, DD-MM-YYYY, DD.MM.YYYY (one
// separator throughout; day and month may be one digit in the day-first forms), with a real day
// for that month (Gregorian leap years) and a year between 1900 and 2100.
[[nodiscard]] bool date_valid(std::string_view candidate) noexcept;

}  // namespace anonkit::detect
