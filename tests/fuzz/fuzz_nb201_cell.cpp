// Cell strings (--arch, --cells files, databases): Nb201Cell::parse.
#include "d2a/space/nb201.h"
#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  return d2a::fuzz::expect_value_or_error([&] {
    const d2a::Nb201Cell cell = d2a::Nb201Cell::parse(text);
    // A parsed cell prints and parses back to itself.
    if (!(d2a::Nb201Cell::parse(cell.str()) == cell)) __builtin_trap();
  });
}
