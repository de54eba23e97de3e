// The exception hierarchy of anonkit's core. Every message starts with "anonkit:" and says what was
// expected, so adapters can hand it to the user unchanged.
#pragma once

#include <stdexcept>
#include <string>

namespace anonkit {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& what) : std::runtime_error(what) {}
};

// A caller passed a value of the wrong type, shape or range.
class InvalidArgument : public Error {
 public:
  using Error::Error;
};

// A user-supplied pattern, keyword list or option document could not be compiled.
class ConfigError : public Error {
 public:
  using Error::Error;
};

// No key, or a key file that is missing, unsafe or malformed.
class KeyError : public Error {
 public:
  using Error::Error;
};

}  // namespace anonkit
