// Core kernels without SQL: the scanner, and a bare RE2::Set pass over the same bytes as the floor.
#include <benchmark/benchmark.h>
#include <re2/re2.h>
#include <re2/set.h>

#include "anonkit/detect/keywords.hpp"
#include "anonkit/detect/recognizer.hpp"
#include "anonkit/detect/scanner.hpp"
#include "anonkit/mask/text.hpp"
#include "corpus.hpp"

namespace {

const std::vector<std::string>& corpus() {
  static const auto rows = anonkit::bench::claim_notes(20000);
  return rows;
}

void BM_BareRe2SetScan(benchmark::State& state) {
  const auto set = anonkit::bench::bare_recognizer_set();
  std::vector<int> hits;
  for (auto _ : state) {
    for (const auto& row : corpus()) {
      set->Match(row, &hits);
      benchmark::DoNotOptimize(hits.data());
    }
  }
  state.SetBytesProcessed(
      static_cast<int64_t>(state.iterations() * anonkit::bench::total_bytes(corpus())));
}
BENCHMARK(BM_BareRe2SetScan)->Unit(benchmark::kMillisecond);

void BM_Scan(benchmark::State& state) {
  const auto& scanner = *anonkit::detect::Scanner::builtin();
  for (auto _ : state)
    for (const auto& row : corpus()) benchmark::DoNotOptimize(scanner.scan(row));
  state.SetBytesProcessed(
      static_cast<int64_t>(state.iterations() * anonkit::bench::total_bytes(corpus())));
}
BENCHMARK(BM_Scan)->Unit(benchmark::kMillisecond);

void BM_MaskText(benchmark::State& state) {
  const auto& scanner = *anonkit::detect::Scanner::builtin();
  for (auto _ : state)
    for (const auto& row : corpus())
      benchmark::DoNotOptimize(anonkit::mask::mask_text(row, scanner, {}));
  state.SetBytesProcessed(
      static_cast<int64_t>(state.iterations() * anonkit::bench::total_bytes(corpus())));
}
BENCHMARK(BM_MaskText)->Unit(benchmark::kMillisecond);

// A dictionary of 1,000 synthetic names (a member list) over the same notes.
void BM_KeywordDictionary(benchmark::State& state) {
  anonkit::detect::KeywordDictionary names;
  const char* syllables[] = {"wa", "nji",  "ru",  "ka",   "mau", "oti", "eno", "che", "bet",
                             "ki", "prop", "ach", "ieng", "mwa", "ngi", "nye", "ri",  "ba"};
  for (int i = 0; i < 1000; ++i) {
    std::string name;
    for (int k = i, parts = 0; parts < 3; ++parts, k /= 18) name += syllables[k % 18];
    names.add(name, "PERSON");
  }
  for (auto _ : state)
    for (const auto& row : corpus()) benchmark::DoNotOptimize(names.find_all(row));
  state.SetBytesProcessed(
      static_cast<int64_t>(state.iterations() * anonkit::bench::total_bytes(corpus())));
}
BENCHMARK(BM_KeywordDictionary)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
