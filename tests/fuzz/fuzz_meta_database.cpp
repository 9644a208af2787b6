// Meta-databases (HDF5, --db): MetaDatabase::load.
#include "d2a/db/meta_database.h"
#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string path = d2a::fuzz::write_input(data, size, ".h5");
  return d2a::fuzz::expect_value_or_error([&] { (void)d2a::MetaDatabase::load(path); });
}
