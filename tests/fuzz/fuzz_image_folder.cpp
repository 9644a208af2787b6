// Image folders (PNG/JPEG through stb_image, and a JPEG of 16 px a side or more through
// libjpeg's DCT scaling, data/image_codecs.h): read_image_folder on a folder of two classes, one
// image the input, the other a fixed valid 2x2 PNG, keeping at most 8 px a side.
#include <filesystem>

#include "d2a/data/image_folder.h"
#include "fuzz_support.h"

namespace {

// A valid 2x2 grey PNG (68 bytes, made with zlib), the second class's image.
const std::string& folder() {
  static const std::string root = [] {
    const std::string r = d2a::fuzz::scratch_path("-images");
    std::filesystem::create_directories(r + "/a");
    std::filesystem::create_directories(r + "/b");
    static const unsigned char png[] = {
        0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44,
        0x52, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x02, 0x08, 0x00, 0x00, 0x00, 0x00, 0x57,
        0xdd, 0x52, 0xf8, 0x00, 0x00, 0x00, 0x0b, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0x60,
        0x00, 0x01, 0x00, 0x00, 0x06, 0x00, 0x01, 0xfe, 0x8c, 0x67, 0xc8, 0x00, 0x00, 0x00, 0x00,
        0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82};
    std::ofstream(r + "/b/fixed.png", std::ios::binary)
        .write(reinterpret_cast<const char*>(png), sizeof png);
    return r;
  }();
  return root;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string root = folder();
  std::ofstream(root + "/a/input.png", std::ios::binary | std::ios::trunc)
      .write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  return d2a::fuzz::expect_value_or_error([&] {
    d2a::DataOptions options;
    options.max_side = 8;
    (void)d2a::read_image_folder(root, options);
  });
}
