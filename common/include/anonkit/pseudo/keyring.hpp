// The keyring: one master key loaded from a file the user controls, never from the database, and
// the subkeys derived from it per purpose (HKDF-SHA-256), so HMAC pseudonyms and FF1 never share a
// key. Key bytes are wiped when the keyring goes; nothing returns them.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string>

namespace anonkit::pseudo {

inline constexpr std::size_t kKeyBytes = 32;
using KeyBytes = std::array<std::uint8_t, kKeyBytes>;

class Keyring {
 public:
  // Reads a key file: exactly 32 raw bytes, or 64 hex characters (surrounding white space allowed).
  // Refuses, with an "anonkit:" KeyError, a file readable or writable by group or others (as ssh
  // does), a short, long or malformed key, and one that is all zero bytes.
  [[nodiscard]] static std::shared_ptr<const Keyring> from_file(const std::string& path);
  [[nodiscard]] static std::shared_ptr<const Keyring> from_bytes(
      std::span<const std::uint8_t> master);
  ~Keyring();
  Keyring(const Keyring&) = delete;
  Keyring& operator=(const Keyring&) = delete;

  // Public fingerprint "ak1:" + 16 hex digits, from its own derivation: it tells two keys apart and
  // nothing about them.
  [[nodiscard]] const std::string& id() const noexcept { return id_; }
  [[nodiscard]] const KeyBytes& pseudonym_key() const noexcept { return pseudonym_; }
  [[nodiscard]] const KeyBytes& ff1_key() const noexcept { return ff1_; }

 private:
  Keyring() = default;
  KeyBytes pseudonym_{};
  KeyBytes ff1_{};
  std::string id_;
};

// HKDF-SHA-256 (RFC 5869) with an empty salt: 32 bytes for `info`.
[[nodiscard]] KeyBytes hkdf_sha256(std::span<const std::uint8_t> key, std::string_view info);

}  // namespace anonkit::pseudo
