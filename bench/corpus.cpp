// Claim-note generator for the benchmarks (fixed seed, no I/O).
#include "corpus.hpp"

#include <re2/re2.h>

#include <array>
#include <random>
#include <string_view>

#include "anonkit/detect/recognizer.hpp"

namespace anonkit::bench {
namespace {

constexpr std::array<std::string_view, 12> kSentences = {
    "Member reported outpatient visit at Kenyatta National Hospital for malaria treatment. ",
    "Claim CLM-2024-0001932 approved for KES 45,000.00 after review of invoice INV-20240315-0042. ",
    "Pre-authorisation requested by the attending physician; diagnosis code E11.9 noted. ",
    "Mgonjwa alilazwa kwa siku tatu, dawa zilitolewa na daktari. Asante. ",
    "Policy POL/2023/88412 renewed at Gold tier with limit KSh 1,250,000 per year. ",
    "Logged 2024-03-15 14:32:10 by claims portal v2.4.1 during the batch run. ",
    "Dependants added to the cover after marriage certificate was verified by the branch. ",
    "Physiotherapy sessions approved, six of ten used, remaining balance carried forward. ",
    "Member called the contact centre to confirm the status of the reimbursement request. ",
    "Maternity package applies from the second year; waiting period confirmed as served. ",
    "Pharmacy claim for hypertension medication, repeat prescription for three months. ",
    "Referral letter from Aga Khan Hospital attached; second opinion pending from specialist. ",
};

std::string pii(std::mt19937_64& rng) {
  static constexpr std::array<std::string_view, 8> kNames = {
      "wanjiru", "otieno", "kamau", "achieng", "mwangi", "njeri", "chebet", "kiprop"};
  const auto n = [&](int mod) { return static_cast<int>(rng() % static_cast<unsigned>(mod)); };
  char buf[128];
  switch (n(6)) {
    case 0:
      std::snprintf(buf, sizeof buf, "Reach the member at %s.%s%d@gmail.com. ", kNames[n(8)].data(),
                    kNames[n(8)].data(), n(100));
      break;
    case 1:
      std::snprintf(buf, sizeof buf, "Call back on +254 7%02d %03d %03d after 5pm. ", n(100),
                    n(1000), n(1000));
      break;
    case 2:
      std::snprintf(buf, sizeof buf, "Alternative number 07%02d-%03d-%03d given. ", n(100), n(1000),
                    n(1000));
      break;
    case 3:
      std::snprintf(buf, sizeof buf, "Paid with card 4111 1111 1111 1111 on the portal. ");
      break;
    case 4:
      std::snprintf(buf, sizeof buf, "Verified national ID %08d at the branch. ", n(100000000));
      break;
    default:
      std::snprintf(buf, sizeof buf, "KRA PIN A%09dZ on file. ", n(1000000000));
      break;
  }
  return buf;
}

}  // namespace

std::vector<std::string> claim_notes(std::size_t rows, std::size_t target_bytes) {
  std::mt19937_64 rng(20261123);
  std::vector<std::string> out;
  out.reserve(rows);
  for (std::size_t r = 0; r < rows; ++r) {
    std::string note;
    const bool personal = rng() % 3 != 0;
    bool placed = false;
    while (note.size() < target_bytes) {
      if (personal && !placed && rng() % 3 == 0) {
        note += pii(rng);
        placed = rng() % 2 == 0;
      } else {
        note += kSentences[rng() % kSentences.size()];
      }
    }
    note.resize(target_bytes);
    out.push_back(std::move(note));
  }
  return out;
}

std::vector<std::string> dense_notes(std::size_t rows, std::size_t target_bytes) {
  std::mt19937_64 rng(20261202);
  std::vector<std::string> out;
  out.reserve(rows);
  for (std::size_t r = 0; r < rows; ++r) {
    std::string note;
    // Every second piece is personal data: six to eight entities in 500 bytes.
    for (bool personal = true; note.size() < target_bytes; personal = !personal)
      note += personal ? pii(rng) : std::string(kSentences[rng() % kSentences.size()]);
    note.resize(target_bytes);
    out.push_back(std::move(note));
  }
  return out;
}

std::size_t total_bytes(const std::vector<std::string>& rows) {
  std::size_t n = 0;
  for (const auto& r : rows) n += r.size();
  return n;
}

std::unique_ptr<RE2::Set> bare_recognizer_set() {
  RE2::Options options;
  options.set_max_mem(64 << 20);
  auto set = std::make_unique<RE2::Set>(options, RE2::UNANCHORED);
  for (const auto& spec : detect::builtin_recognizers()) set->Add(spec.pattern, nullptr);
  set->Compile();
  return set;
}

}  // namespace anonkit::bench
