// IDX files (MNIST-style folders): read_idx_files; the input is split into images and labels.
#include "d2a/data/idx_reader.h"
#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::size_t cut = size == 0 ? 0 : data[0] % (size + 1);  // where labels start
  const std::string images = d2a::fuzz::write_input(data, cut, "-images-idx3-ubyte");
  static const std::string labels_path = d2a::fuzz::scratch_path("-labels-idx1-ubyte");
  std::ofstream(labels_path, std::ios::binary | std::ios::trunc)
      .write(reinterpret_cast<const char*>(data + cut), static_cast<std::streamsize>(size - cut));
  return d2a::fuzz::expect_value_or_error([&] { (void)d2a::read_idx_files(images, labels_path); });
}
