// NAS-Bench-201 benchmark tables (--bench): Nb201Table::load on a CSV file.
#include "d2a/bench/nb201_table.h"
#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string path = d2a::fuzz::write_input(data, size, ".csv");
  return d2a::fuzz::expect_value_or_error([&] { (void)d2a::Nb201Table::load(path); });
}
