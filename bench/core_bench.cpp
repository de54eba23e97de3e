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

// PII-dense rows (six to eight entities in 500 bytes): each matching recognizer extracts over the
// whole row, so this is where per-recognizer passes show.
void BM_MaskDense(benchmark::State& state) {
  static const auto rows = anonkit::bench::dense_notes(20000);
  const auto& scanner = *anonkit::detect::Scanner::builtin();
  for (auto _ : state)
    for (const auto& row : rows)
      benchmark::DoNotOptimize(anonkit::mask::mask_text(row, scanner, {}));
  state.SetBytesProcessed(
      static_cast<int64_t>(state.iterations() * anonkit::bench::total_bytes(rows)));
}
BENCHMARK(BM_MaskDense)->Unit(benchmark::kMillisecond);

// Dictionaries of 10 to 100,000 synthetic names (a member list) over the same notes; the
// target is a cost that does not grow with the dictionary (100,000 <= 1.5x the time of 10).
// Names of 3-5 syllables, with real words of the notes among them so walks go deep.
std::vector<std::string> synthetic_names(int count) {
  const char* syllables[] = {"wa", "nji",  "ru",  "ka",   "mau", "oti", "eno", "che", "bet",
                             "ki", "prop", "ach", "ieng", "mwa", "ngi", "nye", "ri",  "ba"};
  std::vector<std::string> out;
  for (int i = 0; i < count; ++i) {
    std::string name;
    const int parts = 3 + i % 3;
    for (int k = i, p = 0; p < parts; ++p, k /= 18) name += syllables[k % 18];
    out.push_back(name + (i % 2 ? " " + std::string(syllables[(i / 7) % 18]) + "a" : ""));
  }
  return out;
}

void BM_KeywordDictionary(benchmark::State& state) {
  anonkit::detect::KeywordDictionary names;
  for (const auto& n : synthetic_names(static_cast<int>(state.range(0)))) names.add(n, "PERSON");
  for (auto _ : state)
    for (const auto& row : corpus()) benchmark::DoNotOptimize(names.find_all(row));
  state.SetBytesProcessed(
      static_cast<int64_t>(state.iterations() * anonkit::bench::total_bytes(corpus())));
}
BENCHMARK(BM_KeywordDictionary)->Arg(10)->Arg(1000)->Arg(100000)->Unit(benchmark::kMillisecond);

// mask() as users run it: the built-in recognizers plus a keyword table of that size.
void BM_MaskWithKeywords(benchmark::State& state) {
  std::vector<anonkit::detect::UserKeyword> keywords;
  for (const auto& n : synthetic_names(static_cast<int>(state.range(0))))
    keywords.push_back({"PERSON", n});
  const anonkit::detect::Scanner scanner({}, keywords);
  for (auto _ : state)
    for (const auto& row : corpus())
      benchmark::DoNotOptimize(anonkit::mask::mask_text(row, scanner, {}));
  state.SetBytesProcessed(
      static_cast<int64_t>(state.iterations() * anonkit::bench::total_bytes(corpus())));
}
BENCHMARK(BM_MaskWithKeywords)->Arg(0)->Arg(10)->Arg(100000)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
