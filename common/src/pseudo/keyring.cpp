// Key files and key derivation. OpenSSL provides HKDF (EVP_KDF) and OPENSSL_cleanse; the file
// checks follow ssh's rule that a secret readable by others is refused, not used.
#include "anonkit/pseudo/keyring.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <vector>

#include "anonkit/error.hpp"

namespace anonkit::pseudo {
namespace {

struct Wiped {  // a buffer that is cleansed when it goes out of scope
  std::vector<std::uint8_t> bytes;
  ~Wiped() { OPENSSL_cleanse(bytes.data(), bytes.size()); }
};

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

KeyBytes hkdf_sha256(std::span<const std::uint8_t> key, std::string_view info) {
  EVP_KDF* kdf = EVP_KDF_fetch(nullptr, "HKDF", nullptr);
  if (kdf == nullptr) throw Error("anonkit: OpenSSL has no HKDF");
  EVP_KDF_CTX* ctx = EVP_KDF_CTX_new(kdf);
  EVP_KDF_free(kdf);
  if (ctx == nullptr) throw std::bad_alloc();
  char digest[] = "SHA256";
  OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0),
                         OSSL_PARAM_construct_octet_string(
                             OSSL_KDF_PARAM_KEY, const_cast<std::uint8_t*>(key.data()), key.size()),
                         OSSL_PARAM_construct_octet_string(
                             OSSL_KDF_PARAM_INFO, const_cast<char*>(info.data()), info.size()),
                         OSSL_PARAM_construct_end()};
  KeyBytes out{};
  const int ok = EVP_KDF_derive(ctx, out.data(), out.size(), params);
  EVP_KDF_CTX_free(ctx);
  if (ok != 1) throw Error("anonkit: HKDF-SHA-256 failed");
  return out;
}

std::shared_ptr<const Keyring> Keyring::from_bytes(std::span<const std::uint8_t> master) {
  if (master.size() != kKeyBytes)
    throw KeyError(fmt::format("anonkit: a key is 32 bytes, got {}", master.size()));
  bool all_zero = true;
  for (const auto b : master) all_zero &= b == 0;
  if (all_zero)
    throw KeyError("anonkit: the key is all zero bytes; generate one with scripts/anonkit-keygen");
  std::shared_ptr<Keyring> ring(new Keyring());
  ring->pseudonym_ = hkdf_sha256(master, "anonkit v1 pseudonym hmac-sha256");
  ring->ff1_ = hkdf_sha256(master, "anonkit v1 ff1 aes-256");
  KeyBytes id = hkdf_sha256(master, "anonkit v1 key id");
  ring->id_ = "ak1:";
  for (std::size_t i = 0; i < 8; ++i) ring->id_ += fmt::format("{:02x}", id[i]);
  OPENSSL_cleanse(id.data(), id.size());
  return ring;
}

std::shared_ptr<const Keyring> Keyring::from_file(const std::string& path) {
  // Symbolic links are followed (mounted secrets are links); the mode checked is the target's.
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    throw KeyError(
        fmt::format("anonkit: cannot open key file '{}': {}", path, std::strerror(errno)));
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    throw KeyError(fmt::format("anonkit: key file '{}' is not a regular file", path));
  }
  if ((st.st_mode & 077) != 0) {
    ::close(fd);
    throw KeyError(fmt::format(
        "anonkit: key file '{}' is accessible by group or others (mode {:04o}); expected mode 0600 "
        "or 0400: chmod 600 '{}'",
        path, st.st_mode & 07777, path));
  }
  Wiped raw;
  raw.bytes.resize(200);
  std::size_t got = 0;
  while (got < raw.bytes.size()) {
    const ssize_t n = ::read(fd, raw.bytes.data() + got, raw.bytes.size() - got);
    if (n < 0) {
      ::close(fd);
      throw KeyError(
          fmt::format("anonkit: cannot read key file '{}': {}", path, std::strerror(errno)));
    }
    if (n == 0) break;
    got += static_cast<std::size_t>(n);
  }
  ::close(fd);
  raw.bytes.resize(got);
  if (got == kKeyBytes) return from_bytes(raw.bytes);
  // Hex: 64 hex digits, white space around allowed.
  std::size_t begin = 0, end = got;
  while (begin < end && std::isspace(raw.bytes[begin])) ++begin;
  while (end > begin && std::isspace(raw.bytes[end - 1])) --end;
  Wiped decoded;
  if (end - begin == 2 * kKeyBytes) {
    for (std::size_t i = begin; i < end; i += 2) {
      const int hi = hex_value(static_cast<char>(raw.bytes[i]));
      const int lo = hex_value(static_cast<char>(raw.bytes[i + 1]));
      if (hi < 0 || lo < 0) break;
      decoded.bytes.push_back(static_cast<std::uint8_t>(hi * 16 + lo));
    }
    if (decoded.bytes.size() == kKeyBytes) return from_bytes(decoded.bytes);
  }
  throw KeyError(fmt::format(
      "anonkit: key file '{}' must hold exactly 32 random bytes, or 64 hex characters; it holds {} "
      "bytes that are neither (make one with scripts/anonkit-keygen)",
      path, got));
}

Keyring::~Keyring() {
  OPENSSL_cleanse(pseudonym_.data(), pseudonym_.size());
  OPENSSL_cleanse(ff1_.data(), ff1_.size());
}

}  // namespace anonkit::pseudo
