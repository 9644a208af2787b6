#include "d2a/data/digits.h"

#include <zlib.h>

#include <filesystem>
#include <sstream>

#include "d2a/error.h"
#include "reader_support.h"

namespace d2a {
namespace {

constexpr int kSide = 8;
constexpr int kValues = kSide * kSide + 1;  // 64 pixels and the label
constexpr int kClasses = 10;
constexpr int kTestEvery = 5;  // the 5th, 10th, ... image of each class is test

std::string read_gz_text(const std::string& path) {
  if (!std::filesystem::is_regular_file(path)) throw bad_input(path + ": no such file");
  gzFile file = gzopen(path.c_str(), "rb");
  if (file == nullptr) throw bad_input(path + ": cannot open file");
  std::string text;
  char buf[1 << 16];
  int got = 0;
  while ((got = gzread(file, buf, sizeof buf)) > 0) text.append(buf, static_cast<std::size_t>(got));
  if (got < 0) {
    int code = 0;
    const std::string message = gzerror(file, &code);
    gzclose(file);
    throw bad_input(path + ": corrupt gzip data (" + message + ")");
  }
  gzclose(file);
  return text;
}

}  // namespace

ImageSet read_digits_csv(const std::string& path, const DataOptions& options) {
  validate_data_options(options, path);
  const std::string text = read_gz_text(path);
  ImageSet set;
  set.source = path;
  set.split = options.split;
  set.channels = 1;
  set.height = kSide;
  set.width = kSide;
  set.class_names = detail::numbered_class_names(kClasses);
  const bool want_test = options.split == "test";
  int seen_per_class[kClasses] = {};
  std::istringstream lines(text);
  std::string line;
  std::size_t line_no = 0;
  while (std::getline(lines, line)) {
    ++line_no;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    const std::string where = path + ":" + std::to_string(line_no);
    int values[kValues];
    int count = 0;
    std::istringstream fields(line);
    std::string field;
    while (std::getline(fields, field, ',')) {
      if (count == kValues) {
        throw bad_input(where + ": more than " + std::to_string(kValues) + " values");
      }
      // sklearn writes integers, some as "5.0": accept a float with no fractional part.
      std::size_t used = 0;
      double v = 0;
      try {
        v = std::stod(field, &used);
      } catch (const std::exception&) {
        used = 0;
      }
      const bool tail_ok = field.find_first_not_of(" \t\r", used) == std::string::npos;
      const int limit = count == kValues - 1 ? kClasses - 1 : 16;
      if (used == 0 || !tail_ok || v != static_cast<int>(v) || v < 0 || v > limit) {
        throw bad_input(where + ": value " + std::to_string(count + 1) + " '" + field +
                        "' is not an integer in 0.." + std::to_string(limit));
      }
      values[count++] = static_cast<int>(v);
    }
    if (count != kValues) {
      throw bad_input(where + ": expected " + std::to_string(kValues) + " values, found " +
                      std::to_string(count));
    }
    const int label = values[kValues - 1];
    const bool is_test = seen_per_class[label]++ % kTestEvery == kTestEvery - 1;
    if (is_test != want_test) continue;
    for (int p = 0; p < kSide * kSide; ++p) {
      set.pixels.push_back(static_cast<std::uint8_t>((values[p] * 255 + 8) / 16));
    }
    set.labels.push_back(label);
  }
  if (line_no == 0) throw bad_input(path + ": empty file");
  detail::finish_image_set(set, options);
  return set;
}

}  // namespace d2a
