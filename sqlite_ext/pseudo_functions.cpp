// Keys, pseudonym(), fpe_encrypt(), fpe_decrypt(). Keyed functions are DETERMINISTIC and
// DIRECTONLY: a view or trigger cannot call them with someone else's key.
#include <fmt/format.h>

#include <array>

#include "anonkit/error.hpp"
#include "anonkit/pseudo/fpe.hpp"
#include "registry.hpp"
#include "written_calls.hpp"

namespace anonkit::sqlite {

void ConnectionState::set_key(std::shared_ptr<const pseudo::Keyring> ring) {
  auto hmac = std::make_unique<pseudo::Pseudonymizer>(ring->pseudonym_key());
  ff1.clear();
  pseudonymizer = std::move(hmac);
  keyring = std::move(ring);
}

namespace {

[[noreturn]] void no_key() {
  throw KeyError("anonkit: no key loaded; call anonkit_key_load(path) or set ANONKIT_KEY_FILE");
}

}  // namespace

const pseudo::Pseudonymizer& ConnectionState::hmac() const {
  if (!pseudonymizer) no_key();
  return *pseudonymizer;
}

const pseudo::Ff1& ConnectionState::ff1_for(std::uint32_t radix) {
  if (!keyring) no_key();
  auto& slot = ff1[radix];
  if (!slot) slot = std::make_unique<pseudo::Ff1>(keyring->ff1_key(), radix);
  return *slot;
}

namespace {

void key_load_fn(sqlite3_context* ctx, int argc, sqlite3_value** argv) {
  guarded(ctx, [&] {
    if (argc != 1) throw InvalidArgument("anonkit: anonkit_key_load() takes (path)");
    require_written_call(ctx, "anonkit_key_load", argc, argv);
    const std::string path(param_text(argv[0], "anonkit_key_load", "path"));
    ConnectionState& state = state_of(ctx);
    state.set_key(pseudo::Keyring::from_file(path));
    result_text(ctx, state.keyring->id());
  });
}

void key_id_fn(sqlite3_context* ctx, int argc, sqlite3_value**) {
  guarded(ctx, [&] {
    if (argc != 0) throw InvalidArgument("anonkit: anonkit_key_id() takes no arguments");
    const ConnectionState& state = state_of(ctx);
    if (!state.keyring) return sqlite3_result_null(ctx);
    result_text(ctx, state.keyring->id());
  });
}

// The canonical text a value is pseudonymized as: numbers by value (42, 42.0 and '42' agree).
std::string canonical(sqlite3_value* v) {
  switch (sqlite3_value_type(v)) {
    case SQLITE_INTEGER:
      return std::to_string(sqlite3_value_int64(v));
    case SQLITE_FLOAT:
      return pseudo::canonical_number(sqlite3_value_double(v));
    default:
      return std::string(*text_arg(v, "pseudonym", "value"));
  }
}

void pseudonym_fn(sqlite3_context* ctx, int argc, sqlite3_value** argv) {
  guarded(ctx, [&] {
    if (argc < 1 || argc > 2)
      throw InvalidArgument("anonkit: pseudonym() takes (value [, 'email'|'name'|'phone'|'int'])");
    auto type = pseudo::PseudonymType::kToken;
    if (argc == 2) {
      type = pseudo::pseudonym_type_argument(param_text(argv[1], "pseudonym", "type"));
    }
    const pseudo::Pseudonymizer& hmac = state_of(ctx).hmac();
    if (sqlite3_value_type(argv[0]) == SQLITE_NULL) return sqlite3_result_null(ctx);
    if (sqlite3_value_type(argv[0]) == SQLITE_BLOB)
      throw InvalidArgument("anonkit: pseudonym() expects a number or TEXT, got a BLOB");
    if (type == pseudo::PseudonymType::kInt) {
      if (sqlite3_value_numeric_type(argv[0]) != SQLITE_INTEGER)
        throw InvalidArgument(
            "anonkit: pseudonym(value, 'int') expects an integer, got another type");
      return sqlite3_result_int64(ctx, hmac.integer(sqlite3_value_int64(argv[0])));
    }
    result_text(ctx, hmac.text(type, canonical(argv[0])));
  });
}

void free_alphabet(void* p) noexcept { delete static_cast<pseudo::Alphabet*>(p); }

void fpe(sqlite3_context* ctx, int argc, sqlite3_value** argv, bool encrypt) {
  const char* name = encrypt ? "fpe_encrypt" : "fpe_decrypt";
  guarded(ctx, [&] {
    if (argc < 1 || argc > 2)
      throw InvalidArgument(fmt::format("anonkit: {}() takes (value [, alphabet])", name));
    // The alphabet is parsed once per statement.
    const auto* alphabet =
        argc == 2 ? static_cast<const pseudo::Alphabet*>(sqlite3_get_auxdata(ctx, 1)) : nullptr;
    std::unique_ptr<pseudo::Alphabet> fresh;
    if (alphabet == nullptr) {
      fresh = std::make_unique<pseudo::Alphabet>(
          pseudo::Alphabet::parse(argc == 2 ? param_text(argv[1], name, "alphabet") : "digits"));
      alphabet = fresh.get();
    }
    ConnectionState& state = state_of(ctx);
    const pseudo::Ff1& ff1 = state.ff1_for(alphabet->radix());
    const auto value = text_arg(argv[0], name, "value");
    if (value)
      result_text(ctx, alphabet->transform(ff1, *value, encrypt));
    else
      sqlite3_result_null(ctx);
    if (fresh && argc == 2) sqlite3_set_auxdata(ctx, 1, fresh.release(), free_alphabet);
  });
}

// anonkit_sample(key, rate): keyed Bernoulli sampling. A row is drawn when the first 53 bits of
// HMAC(pseudonym key, "sample" || canonical key) read as a fraction in [0, 1) fall below `rate`:
// the same key column and key draw the same rows on every run and machine, and (a value's MAC
// being uniform and independent of the others) each distinct key value is drawn with probability
// `rate`, independently. Rows sharing a key value are drawn together: sampling by person.
void sample_fn(sqlite3_context* ctx, int argc, sqlite3_value** argv) {
  guarded(ctx, [&] {
    if (argc != 2) throw InvalidArgument("anonkit: anonkit_sample() takes (key_column, rate)");
    const int rate_type = sqlite3_value_type(argv[1]);
    const double rate = sqlite3_value_double(argv[1]);
    if ((rate_type != SQLITE_INTEGER && rate_type != SQLITE_FLOAT) || !(rate >= 0 && rate <= 1))
      throw InvalidArgument("anonkit: anonkit_sample() expects rate as a number from 0 to 1");
    const pseudo::Pseudonymizer& hmac = state_of(ctx).hmac();
    const int type = sqlite3_value_type(argv[0]);
    if (type == SQLITE_NULL) return sqlite3_result_int(ctx, 0);  // no key, no person: not drawn
    std::array<std::uint8_t, 32> mac;
    if (type == SQLITE_BLOB) {
      const auto* bytes = static_cast<const char*>(sqlite3_value_blob(argv[0]));
      mac =
          hmac.mac("sample-blob",
                   std::string_view(bytes, static_cast<std::size_t>(sqlite3_value_bytes(argv[0]))));
    } else {
      mac = hmac.mac("sample", canonical(argv[0]));
    }
    std::uint64_t bits = 0;
    for (int i = 0; i < 8; ++i) bits = (bits << 8) | mac[static_cast<std::size_t>(i)];
    // Exact: a 53-bit integer and rate * 2^53 are both represented without rounding error.
    const double fraction_units = static_cast<double>(bits >> 11);
    sqlite3_result_int(ctx, fraction_units < rate * 9007199254740992.0 ? 1 : 0);
  });
}

void fpe_encrypt_fn(sqlite3_context* ctx, int argc, sqlite3_value** argv) {
  fpe(ctx, argc, argv, true);
}
void fpe_decrypt_fn(sqlite3_context* ctx, int argc, sqlite3_value** argv) {
  fpe(ctx, argc, argv, false);
}

constexpr int kKeyed = SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_DIRECTONLY;

constexpr FunctionDef kFunctions[] = {
    {"anonkit_key_load", -1, kDirectOnly, key_load_fn},
    {"anonkit_key_id", -1, SQLITE_UTF8 | SQLITE_INNOCUOUS, key_id_fn},
    {"pseudonym", -1, kKeyed, pseudonym_fn},
    {"fpe_encrypt", -1, kKeyed, fpe_encrypt_fn},
    {"fpe_decrypt", -1, kKeyed, fpe_decrypt_fn},
    {"anonkit_sample", -1, kKeyed, sample_fn},
};

}  // namespace

int register_pseudo_functions(sqlite3* db, const StatePtr& state) {
  return register_functions(db, state, kFunctions);
}

}  // namespace anonkit::sqlite
