#include "d2a/data/idx_reader.h"

#include <zlib.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdio>
#include <filesystem>

#include "d2a/error.h"
#include "reader_support.h"

namespace fs = std::filesystem;

namespace d2a {
namespace {

constexpr std::uint32_t kImagesMagic = 0x00000803;  // unsigned byte, 3 dimensions
constexpr std::uint32_t kLabelsMagic = 0x00000801;  // unsigned byte, 1 dimension
// Far above any real IDX set; guards the allocation against a garbage header.
constexpr std::uint64_t kMaxPixels = std::uint64_t{1} << 34;

// A gzip (or plain: zlib reads both) file read in exact-size pieces.
class GzReader {
 public:
  explicit GzReader(const std::string& path) : path_(path) {
    if (!fs::is_regular_file(path)) throw bad_input(path + ": no such file");
    file_ = gzopen(path.c_str(), "rb");
    if (file_ == nullptr) throw bad_input(path + ": cannot open file");
  }
  ~GzReader() { gzclose(file_); }
  GzReader(const GzReader&) = delete;
  GzReader& operator=(const GzReader&) = delete;

  // Reads exactly n bytes of `what`; throws naming the file when fewer are there.
  void read_exact(void* out, std::size_t n, const std::string& what) {
    std::size_t done = 0;
    auto* bytes = static_cast<unsigned char*>(out);
    while (done < n) {
      const unsigned chunk = static_cast<unsigned>(std::min<std::size_t>(n - done, 1u << 30));
      const int got = gzread(file_, bytes + done, chunk);
      if (got < 0) fail_corrupt();
      if (got == 0) {
        throw bad_input(path_ + ": truncated IDX file: expected " + std::to_string(n) +
                        " bytes of " + what + ", found " + std::to_string(done));
      }
      done += static_cast<std::size_t>(got);
    }
  }

  std::uint32_t read_u32(const std::string& what) {
    std::array<unsigned char, 4> b{};
    read_exact(b.data(), b.size(), what);
    return (std::uint32_t{b[0]} << 24) | (std::uint32_t{b[1]} << 16) | (std::uint32_t{b[2]} << 8) |
           std::uint32_t{b[3]};
  }

  void expect_end() {
    unsigned char extra = 0;
    const int got = gzread(file_, &extra, 1);
    if (got < 0) fail_corrupt();
    if (got > 0) throw bad_input(path_ + ": unexpected bytes after the IDX data");
  }

 private:
  [[noreturn]] void fail_corrupt() {
    int code = 0;
    const char* message = gzerror(file_, &code);
    throw bad_input(path_ + ": corrupt gzip data (" + std::string(message ? message : "?") + ")");
  }

  std::string path_;
  gzFile file_ = nullptr;
};

std::string hex32(std::uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08x", v);
  return buf;
}

void expect_magic(GzReader& in, const std::string& path, std::uint32_t expected,
                  const std::string& kind) {
  const std::uint32_t magic = in.read_u32("header");
  if (magic != expected) {
    throw bad_input(path + ": wrong IDX magic number " + hex32(magic) + " (expected " +
                    hex32(expected) + ", an " + kind + " file)");
  }
}

// The folder's name, ignoring a trailing slash.
std::string folder_name(const std::string& folder) {
  fs::path p = fs::path(folder).lexically_normal();
  if (p.filename().empty()) p = p.parent_path();
  return p.filename().string();
}

bool has_suffix(const std::string& text, const std::string& suffix) {
  return text.size() >= suffix.size() &&
         text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// The images file of a split in `folder`: the sorted-first file named
// *<prefix>-images-idx3-ubyte or *<prefix>-images-idx3-ubyte.gz for one of `prefixes`.
std::string find_images_file(const std::string& folder, const std::vector<std::string>& prefixes) {
  std::vector<std::string> hits;
  for (const auto& entry : fs::directory_iterator(folder)) {
    if (!entry.is_regular_file()) continue;
    const std::string name = entry.path().filename().string();
    for (const auto& prefix : prefixes) {
      const std::string stem = prefix + "-images-idx3-ubyte";
      if (has_suffix(name, stem) || has_suffix(name, stem + ".gz")) hits.push_back(name);
    }
  }
  if (hits.empty()) return "";
  std::sort(hits.begin(), hits.end());
  return hits.front();
}

}  // namespace

const std::vector<std::string>& fashion_mnist_class_names() {
  static const std::vector<std::string> names = {"T-shirt/top", "Trouser",   "Pullover", "Dress",
                                                 "Coat",        "Sandal",    "Shirt",    "Sneaker",
                                                 "Bag",         "Ankle boot"};
  return names;
}

ImageSet read_idx_files(const std::string& images_path, const std::string& labels_path,
                        bool fashion) {
  ImageSet set;
  set.source = images_path;
  set.channels = 1;
  {
    GzReader in(images_path);
    expect_magic(in, images_path, kImagesMagic, "images (unsigned byte, 3-d)");
    const std::uint32_t count = in.read_u32("header");
    const std::uint32_t rows = in.read_u32("header");
    const std::uint32_t cols = in.read_u32("header");
    const std::uint64_t total = std::uint64_t{count} * rows * cols;
    if (rows == 0 || cols == 0 || total > kMaxPixels) {
      throw bad_input(images_path + ": implausible IDX dimensions " + std::to_string(count) + "x" +
                      std::to_string(rows) + "x" + std::to_string(cols));
    }
    set.height = static_cast<int>(rows);
    set.width = static_cast<int>(cols);
    set.pixels.resize(total);
    in.read_exact(set.pixels.data(), set.pixels.size(), "pixel data");
    in.expect_end();
  }
  {
    GzReader in(labels_path);
    expect_magic(in, labels_path, kLabelsMagic, "labels (unsigned byte, 1-d)");
    const std::uint32_t count = in.read_u32("header");
    const std::size_t images = set.pixels.size() / set.image_bytes();
    if (count != images) {
      throw bad_input(labels_path + ": holds " + std::to_string(count) + " labels but " +
                      images_path + " holds " + std::to_string(images) + " images");
    }
    std::vector<std::uint8_t> raw(count);
    in.read_exact(raw.data(), raw.size(), "labels");
    in.expect_end();
    set.labels.assign(raw.begin(), raw.end());
  }
  const int max_label =
      set.labels.empty() ? -1 : *std::max_element(set.labels.begin(), set.labels.end());
  const auto num_classes = static_cast<std::size_t>(max_label + 1);
  if (fashion && num_classes <= fashion_mnist_class_names().size()) {
    set.class_names = fashion_mnist_class_names();
  } else {
    set.class_names = detail::numbered_class_names(num_classes);
  }
  return set;
}

ImageSet read_idx_folder(const std::string& folder, const DataOptions& options) {
  validate_data_options(options, folder);
  if (!fs::is_directory(folder)) throw bad_input(folder + ": no such folder");
  const bool test = options.split == "test";
  const std::vector<std::string> prefixes =
      test ? std::vector<std::string>{"t10k", "test"} : std::vector<std::string>{"train"};
  const std::string images = find_images_file(folder, prefixes);
  if (images.empty()) {
    throw bad_input(folder + ": no " + prefixes.front() + "-images-idx3-ubyte[.gz] file for the " +
                    options.split + " split");
  }
  // The labels file mirrors the images file's name; allow it to differ only in ".gz".
  std::string labels = images;
  labels.replace(labels.find("-images-idx3-ubyte"), 18, "-labels-idx1-ubyte");
  if (!fs::exists(fs::path(folder) / labels)) {
    const std::string other =
        has_suffix(labels, ".gz") ? labels.substr(0, labels.size() - 3) : labels + ".gz";
    if (fs::exists(fs::path(folder) / other)) labels = other;
  }
  const bool fashion = detail::to_lower(folder_name(folder)).find("fashion") != std::string::npos;
  ImageSet set = read_idx_files((fs::path(folder) / images).string(),
                                (fs::path(folder) / labels).string(), fashion);
  set.split = options.split;
  detail::finish_image_set(set, options);
  set.source = folder;
  return set;
}

bool is_idx_folder(const std::string& folder) {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(folder, ec)) {
    const std::string name = entry.path().filename().string();
    if (has_suffix(name, "-images-idx3-ubyte") || has_suffix(name, "-images-idx3-ubyte.gz")) {
      return true;
    }
  }
  return false;
}

}  // namespace d2a
