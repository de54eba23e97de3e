// What the scanner reports: one typed span of a text, in byte offsets.
#pragma once

#include <cstddef>
#include <cstdint>

namespace anonkit::detect {

struct Entity {
  std::size_t begin;   // byte offset of the first byte
  std::size_t end;     // byte offset one past the last byte
  std::uint32_t type;  // index into Scanner::types()
  double confidence;   // 0..1
};

}  // namespace anonkit::detect
