// CIFAR binary batches (data_batch_*.bin): append_cifar_binary_file.
#include "d2a/data/cifar_binary.h"
#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string path = d2a::fuzz::write_input(data, size, "-data_batch_1.bin");
  return d2a::fuzz::expect_value_or_error([&] {
    d2a::ImageSet set;
    d2a::append_cifar_binary_file(path, set);
  });
}
