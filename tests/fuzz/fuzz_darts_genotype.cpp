// DARTS genotypes (--arch Genotype(...)): DartsGenotype::parse.
#include "d2a/space/darts_genotype.h"
#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  return d2a::fuzz::expect_value_or_error([&] {
    const d2a::DartsGenotype genotype = d2a::DartsGenotype::parse(text);
    (void)d2a::DartsGenotype::parse(genotype.str());  // what it prints, it reads
  });
}
