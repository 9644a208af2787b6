#include "d2a/data/open_image_set.h"

#include <filesystem>

#include "d2a/data/cifar_binary.h"
#include "d2a/data/digits.h"
#include "d2a/data/idx_reader.h"
#include "d2a/data/image_folder.h"
#include "d2a/error.h"
#include "reader_support.h"

namespace fs = std::filesystem;

namespace d2a {
namespace {

bool ends_with(const std::string& text, const std::string& suffix) {
  return text.size() >= suffix.size() &&
         text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

ImageSet open_path(const std::string& path, const DataOptions& options) {
  std::error_code ec;
  if (!fs::exists(path, ec)) {
    throw bad_input(path + ": no such file or folder (names: fashion-mnist, digits)");
  }
  if (!fs::is_directory(path, ec)) {
    const std::string name = detail::to_lower(fs::path(path).filename().string());
    if (ends_with(name, ".csv") || ends_with(name, ".csv.gz")) {
      return read_digits_csv(path, options);
    }
    throw bad_input(path +
                    ": not a dataset folder (expected an image folder, an IDX folder or "
                    "a CIFAR binary folder)");
  }
  if (is_idx_folder(path)) return read_idx_folder(path, options);
  if (is_cifar_binary_folder(path)) return read_cifar_binary(path, options);
  return read_image_folder(path, options);
}

// The sets d2a knows by name.
struct Named {
  const char* name;
  const char* path;
  const char* package;  // the Debian package that installs it
  ImageSet (*read)(const std::string&, const DataOptions&);
};
const Named kNamed[] = {
    {"fashion-mnist", kFashionMnistPath, "dataset-fashion-mnist", read_idx_folder},
    {"digits", kSklearnDigitsPath, "python3-sklearn", read_digits_csv},
};

}  // namespace

ImageSet open_image_set(const std::string& spec, const DataOptions& options) {
  validate_data_options(options, spec);
  for (const Named& named : kNamed) {
    if (spec != named.name) continue;
    if (!fs::exists(named.path)) {
      throw bad_input(spec + ": " + named.path + " not found (apt-get install " + named.package +
                      ")");
    }
    ImageSet set = named.read(named.path, options);
    set.source = spec;
    return set;
  }
  return open_path(spec, options);
}

bool has_test_split(const std::string& spec) {
  std::error_code ec;
  for (const Named& named : kNamed) {
    if (spec == named.name) return true;
  }
  if (!fs::is_directory(spec, ec)) return true;
  return is_idx_folder(spec) || is_cifar_binary_folder(spec) || has_split_folders(spec);
}

}  // namespace d2a
