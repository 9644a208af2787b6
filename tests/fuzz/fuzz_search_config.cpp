// `d2a search --config FILE` (JSON overriding the methods' published settings):
// SearcherConfig::read_file, and what it reads survives its own JSON round trip.
#include "d2a/search/searcher_config.h"
#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string path = d2a::fuzz::write_input(data, size, ".json");
  return d2a::fuzz::expect_value_or_error([&] {
    const d2a::SearcherConfig config = d2a::SearcherConfig::read_file(path);
    const nlohmann::json again = d2a::SearcherConfig::from_json(config.to_json()).to_json();
    if (again != config.to_json()) __builtin_trap();  // what it writes, it reads back the same
  });
}
