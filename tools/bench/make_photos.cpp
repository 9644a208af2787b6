// Writes phone-sized JPEGs (4032x3024, quality 90: smooth colour waves plus noise, the waves'
// phase set by the class) into OUT/class<c>/<i>.jpg, for tools/bench/photo_folder.sh.
//
//   make_photos OUT CLASSES PER_CLASS
#include <stb/stb_image_write.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <random>
#include <string>
#include <vector>
int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: make_photos OUT CLASSES PER_CLASS\n");
    return 2;
  }
  const std::string out = argv[1];
  const int classes = std::stoi(argv[2]), per_class = std::stoi(argv[3]);
  const int w = 4032, h = 3024;
  std::mt19937 rng(1);
  std::vector<std::uint8_t> px(static_cast<size_t>(w) * h * 3);
  for (int c = 0; c < classes; ++c) {
    std::filesystem::create_directories(out + "/class" + std::to_string(c));
    for (int i = 0; i < per_class; ++i) {
      std::uniform_real_distribution<float> u(0.f, 1.f);
      const float fx = 2 + 8 * u(rng), fy = 2 + 8 * u(rng), ph = 6.28f * u(rng);
      for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x)
          for (int k = 0; k < 3; ++k) {
            const float v =
                128 +
                60 * std::sin(fx * x / w * 6.28f + ph + k + c) * std::cos(fy * y / h * 6.28f) +
                (rng() % 32);
            px[(static_cast<size_t>(y) * w + x) * 3 + k] =
                static_cast<std::uint8_t>(std::fmin(255.f, std::fmax(0.f, v)));
          }
      const std::string path =
          out + "/class" + std::to_string(c) + "/" + std::to_string(i) + ".jpg";
      if (stbi_write_jpg(path.c_str(), w, h, 3, px.data(), 90) == 0) {
        std::fprintf(stderr, "make_photos: cannot write %s\n", path.c_str());
        return 1;
      }
    }
  }
}
