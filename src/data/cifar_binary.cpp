#include "d2a/data/cifar_binary.h"

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "d2a/error.h"
#include "reader_support.h"

namespace fs = std::filesystem;

namespace d2a {
namespace {

constexpr int kSide = 32;
constexpr std::size_t kPlane = kSide * kSide;
constexpr std::size_t kRecord = 1 + 3 * kPlane;  // 3073

bool is_train_batch(const std::string& name) {
  return name.rfind("data_batch_", 0) == 0 && name.size() > 15 &&
         name.compare(name.size() - 4, 4, ".bin") == 0;
}

// data_batch_*.bin in numeric order (data_batch_2 before data_batch_10).
std::vector<fs::path> train_batches(const std::string& folder) {
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(folder)) {
    if (entry.is_regular_file() && is_train_batch(entry.path().filename().string())) {
      files.push_back(entry.path());
    }
  }
  std::sort(files.begin(), files.end(), [](const fs::path& a, const fs::path& b) {
    const std::string x = a.filename().string(), y = b.filename().string();
    return x.size() != y.size() ? x.size() < y.size() : x < y;
  });
  return files;
}

std::vector<std::string> read_meta(const fs::path& path) {
  std::vector<std::string> names;
  std::ifstream in(path);
  if (!in) throw bad_input(path.string() + ": cannot open file");
  std::string line;
  while (std::getline(in, line)) {
    const auto first = line.find_first_not_of(" \t\r");
    if (first == std::string::npos) continue;
    const auto last = line.find_last_not_of(" \t\r");
    names.push_back(line.substr(first, last - first + 1));
  }
  return names;
}

}  // namespace

void append_cifar_binary_file(const std::string& path, ImageSet& set) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) throw bad_input(path + ": no such file");
  const auto size = fs::file_size(path, ec);
  if (ec) throw bad_input(path + ": cannot read file size (" + ec.message() + ")");
  if (size == 0 || size % kRecord != 0) {
    throw bad_input(path + ": size " + std::to_string(size) +
                    " bytes is not a whole number of 3073-byte CIFAR-10 records");
  }
  std::ifstream in(path, std::ios::binary);
  std::vector<std::uint8_t> data(size);
  if (!in.read(reinterpret_cast<char*>(data.data()), static_cast<std::streamsize>(size))) {
    throw bad_input(path + ": cannot read file");
  }
  set.channels = 3;
  set.height = kSide;
  set.width = kSide;
  const std::size_t records = size / kRecord;
  std::size_t out = set.pixels.size();
  set.pixels.resize(out + records * 3 * kPlane);
  for (std::size_t r = 0; r < records; ++r) {
    const std::uint8_t* rec = data.data() + r * kRecord;
    set.labels.push_back(rec[0]);
    for (std::size_t p = 0; p < kPlane; ++p) {  // planar RGB -> interleaved HWC
      set.pixels[out++] = rec[1 + p];
      set.pixels[out++] = rec[1 + kPlane + p];
      set.pixels[out++] = rec[1 + 2 * kPlane + p];
    }
  }
}

ImageSet read_cifar_binary(const std::string& folder, const DataOptions& options) {
  validate_data_options(options, folder);
  if (!fs::is_directory(folder)) throw bad_input(folder + ": no such folder");
  std::vector<fs::path> files;
  if (options.split == "test") {
    files.push_back(fs::path(folder) / "test_batch.bin");
  } else {
    files = train_batches(folder);
    if (files.empty()) throw bad_input(folder + ": no data_batch_*.bin file for the train split");
  }
  ImageSet set;
  set.source = folder;
  set.split = options.split;
  // Which file each image came from, so a bad label names its file.
  std::vector<std::size_t> file_end;
  for (const auto& file : files) {
    append_cifar_binary_file(file.string(), set);
    file_end.push_back(set.size());
  }
  const fs::path meta = fs::path(folder) / "batches.meta.txt";
  const int max_label = *std::max_element(set.labels.begin(), set.labels.end());
  if (fs::exists(meta)) {
    set.class_names = read_meta(meta);
    for (std::size_t i = 0; i < set.size(); ++i) {
      if (static_cast<std::size_t>(set.labels[i]) >= set.class_names.size()) {
        const std::size_t f =
            std::upper_bound(file_end.begin(), file_end.end(), i) - file_end.begin();
        const std::size_t first = f == 0 ? 0 : file_end[f - 1];
        throw bad_input(files[f].string() + ": record " + std::to_string(i - first) +
                        " has label " + std::to_string(set.labels[i]) + " but " + meta.string() +
                        " names only " + std::to_string(set.class_names.size()) + " classes");
      }
    }
  } else {
    set.class_names = detail::numbered_class_names(static_cast<std::size_t>(max_label) + 1);
  }
  detail::finish_image_set(set, options);
  return set;
}

bool is_cifar_binary_folder(const std::string& folder) {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(folder, ec)) {
    const std::string name = entry.path().filename().string();
    if (name == "test_batch.bin" || is_train_batch(name)) return true;
  }
  return false;
}

}  // namespace d2a
