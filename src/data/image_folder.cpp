#include "d2a/data/image_folder.h"

#include <stb/stb_image.h>

#include <algorithm>
#include <atomic>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <set>
#include <thread>
#include <utility>

#include "d2a/data/image_codecs.h"
#include "d2a/data/image_ops.h"
#include "d2a/error.h"
#include "reader_support.h"

namespace fs = std::filesystem;

namespace d2a {
namespace {

struct DecodedImage {
  std::vector<std::uint8_t> pixels;  // HWC
  int height = 0;
  int width = 0;
  int channels = 0;  // 1 or 3
  int original_height = 0;  // as stored in the file, before any shrinking
  int original_width = 0;
};

bool is_hidden(const fs::path& path) {
  const std::string name = path.filename().string();
  return !name.empty() && name[0] == '.';
}

// The extensions read (any case): stb's PNG, JPEG, BMP, TGA and binary PPM/PGM, and WebP
// where libwebp is built in.
bool has_extension_in(const fs::path& path, const std::vector<std::string>& extensions) {
  const std::string ext = detail::to_lower(path.extension().string());
  return std::find(extensions.begin(), extensions.end(), ext) != extensions.end();
}

bool has_image_extension(const fs::path& path) {
  static const std::vector<std::string> stb = {".png", ".jpg", ".jpeg", ".bmp",
                                               ".tga", ".ppm", ".pgm",  ".pnm"};
  return has_extension_in(path, stb) || (webp_available() && has_extension_in(path, {".webp"}));
}

// The formats has_image_extension accepts, for messages.
std::string readable_formats() {
  return std::string("PNG, JPEG, BMP, TGA, PPM/PGM") + (webp_available() ? ", WebP" : "");
}

// Images in formats d2a does not read, named in the note about skipped files.
bool is_unreadable_image(const fs::path& path) {
  static const std::vector<std::string> known = {".heic", ".heif", ".avif", ".tif", ".tiff",
                                                 ".gif",  ".jxl",  ".svg",  ".dng", ".cr2",
                                                 ".nef",  ".arw",  ".webp"};
  return has_extension_in(path, known);
}

std::vector<fs::path> sorted_entries(const fs::path& dir) {
  std::vector<fs::path> entries;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) entries.push_back(entry.path());
  if (ec) throw bad_input(dir.string() + ": cannot list folder (" + ec.message() + ")");
  std::sort(entries.begin(), entries.end());
  return entries;
}

// Every entry under a class folder that is not a folder, in the order torchvision's ImageFolder
// takes them: the class folder and its sub-folders at any depth (hidden ones skipped, linked ones
// followed, each real folder once) sorted by path as text, each one's entries sorted by name.
std::vector<fs::path> class_files(const fs::path& class_dir) {
  std::vector<std::pair<std::string, std::vector<fs::path>>> folders;  // path, its files
  std::vector<fs::path> pending{class_dir};
  std::set<fs::path> seen;
  std::error_code ec;
  while (!pending.empty()) {
    const fs::path folder = pending.back();
    pending.pop_back();
    const fs::path real = fs::canonical(folder, ec);
    if (ec || !seen.insert(real).second) continue;  // a link back to a folder already listed
    std::vector<fs::path> files;
    for (const auto& entry : sorted_entries(folder)) {
      if (is_hidden(entry)) continue;
      (fs::is_directory(entry, ec) ? pending : files).push_back(entry);
    }
    folders.emplace_back(folder.string(), std::move(files));
  }
  std::sort(folders.begin(), folders.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<fs::path> files;
  for (auto& folder : folders) {
    files.insert(files.end(), folder.second.begin(), folder.second.end());
  }
  return files;
}

// An image another decoder gave (a DCT-scaled JPEG, a WebP): alpha dropped as stb's images'
// (convert_channels), then each axis shrunk to at most max_side (> 0) of its original size.
DecodedImage shrunk_to(DecodedPixels decoded, int max_side) {
  DecodedImage image;
  image.original_height = decoded.original_height;
  image.original_width = decoded.original_width;
  image.channels = decoded.channels <= 2 ? 1 : 3;
  image.pixels = decoded.channels == image.channels
                     ? std::move(decoded.pixels)
                     : convert_channels(decoded.pixels.data(),
                                        static_cast<std::size_t>(decoded.height) * decoded.width,
                                        decoded.channels, image.channels);
  image.height =
      max_side > 0 ? std::min(decoded.original_height, max_side) : decoded.original_height;
  image.width = max_side > 0 ? std::min(decoded.original_width, max_side) : decoded.original_width;
  if (image.height != decoded.height || image.width != decoded.width) {
    image.pixels = resize_bilinear(image.pixels.data(), decoded.height, decoded.width,
                                   image.channels, image.height, image.width);
  }
  return image;
}

// Decodes one image; one taller or wider than max_side (> 0) is shrunk at once, each axis to at
// most max_side, so that only the shrunk pixels are kept.
DecodedImage decode_image(const fs::path& path, int max_side) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw bad_input(path.string() + ": cannot open image");
  const std::vector<unsigned char> bytes((std::istreambuf_iterator<char>(in)),
                                         std::istreambuf_iterator<char>());
  if (bytes.empty()) throw bad_input(path.string() + ": empty image file");
  if (looks_like_webp(bytes.data(), bytes.size())) {
    std::string error;
    auto webp = decode_webp(bytes.data(), bytes.size(), max_side, error);
    if (!webp) throw bad_input(path.string() + ": cannot decode image (WebP: " + error + ")");
    return shrunk_to(std::move(*webp), max_side);
  }
  // A JPEG is turned upright as its EXIF orientation says, before it is shrunk; one at least
  // twice max_side a side is decoded at 1/2..1/8 in the DCT.
  const int orientation = jpeg_exif_orientation(bytes.data(), bytes.size());
  if (auto small = decode_jpeg_scaled(bytes.data(), bytes.size(), max_side)) {
    apply_exif_orientation(*small, orientation);
    return shrunk_to(std::move(*small), max_side);
  }
  int width = 0, height = 0, comp = 0;
  std::unique_ptr<stbi_uc, void (*)(void*)> data(
      stbi_load_from_memory(bytes.data(), static_cast<int>(bytes.size()), &width, &height, &comp,
                            0),
      stbi_image_free);
  if (!data) {
    // A JPEG whose headers stb cannot read is tried as every other format, and the reason left
    // is the last format's ("bad png sig"): name the format the file's signature says instead.
    const bool jpeg = looks_like_jpeg(bytes.data(), bytes.size());
    const char* reason = stbi_failure_reason();
    throw bad_input(
        path.string() + ": cannot decode image (" +
        (jpeg ? std::string("corrupt or truncated JPEG)")
              : std::string(reason ? reason : "unknown error") + "; corrupt or truncated?)"));
  }
  DecodedPixels decoded;
  decoded.height = decoded.original_height = height;
  decoded.width = decoded.original_width = width;
  decoded.channels = comp <= 2 ? 1 : 3;  // grey(+alpha) -> grey, RGB(A) -> RGB
  decoded.pixels = convert_channels(data.get(), static_cast<std::size_t>(width) * height, comp,
                                    decoded.channels);
  data.reset();
  apply_exif_orientation(decoded, orientation);
  return shrunk_to(std::move(decoded), max_side);
}

// Decodes every file, `threads` at a time (0 = every core); throws the error of the first file
// in list order that fails, whatever the threads' timing.
std::vector<DecodedImage> decode_images(const std::vector<std::pair<fs::path, std::int32_t>>& files,
                                        int max_side, int threads) {
  std::vector<DecodedImage> images(files.size());
  std::vector<std::exception_ptr> errors(files.size());
  std::atomic<std::size_t> next{0};
  const auto work = [&] {
    for (std::size_t i = next++; i < files.size(); i = next++) {
      try {
        images[i] = decode_image(files[i].first, max_side);
      } catch (...) {
        errors[i] = std::current_exception();
      }
    }
  };
  const std::size_t cores = std::max(1u, std::thread::hardware_concurrency());
  const std::size_t workers =
      std::min(files.size(), threads > 0 ? static_cast<std::size_t>(threads) : cores);
  std::vector<std::thread> pool;
  for (std::size_t t = 1; t < workers; ++t) pool.emplace_back(work);
  work();
  for (auto& thread : pool) thread.join();
  for (const auto& error : errors) {
    if (error) std::rethrow_exception(error);
  }
  return images;
}

// The most common (height, width), ties going to the size met first.
std::pair<int, int> most_common_size(const std::vector<DecodedImage>& images) {
  std::map<std::pair<int, int>, std::size_t> counts;
  std::pair<int, int> best{images.front().height, images.front().width};
  std::size_t best_count = 0;
  for (const auto& image : images) {
    const std::pair<int, int> size{image.height, image.width};
    const std::size_t n = ++counts[size];
    if (n > best_count) {
      best_count = n;
      best = size;
    }
  }
  return best;
}

std::string size_text(int height, int width) {
  return std::to_string(height) + "x" + std::to_string(width);
}

}  // namespace

bool has_split_folders(const std::string& root) {
  std::error_code ec;
  return fs::is_directory(fs::path(root) / "train", ec) ||
         fs::is_directory(fs::path(root) / "test", ec);
}

ImageSet read_image_folder(const std::string& root, const DataOptions& options) {
  validate_data_options(options, root);
  std::error_code ec;
  if (!fs::exists(root, ec)) throw bad_input(root + ": no such folder");
  if (!fs::is_directory(root, ec)) throw bad_input(root + ": not a folder");
  ImageSet set;
  fs::path dir = root;
  if (has_split_folders(root)) {
    dir /= options.split;
    set.split = options.split;
    if (!fs::is_directory(dir, ec)) {
      throw bad_input(dir.string() + ": no such folder (" + root +
                      " has split sub-folders; pick another --split)");
    }
  }
  set.source = dir.string();

  std::vector<fs::path> class_dirs;
  std::size_t loose_files = 0;
  for (const auto& entry : sorted_entries(dir)) {
    if (is_hidden(entry)) continue;
    if (fs::is_directory(entry, ec)) {
      class_dirs.push_back(entry);
    } else {
      ++loose_files;
    }
  }
  if (class_dirs.empty()) {
    throw bad_input(dir.string() + (loose_files == 0 ? ": empty folder"
                                                     : ": no class sub-folders (expected " +
                                                           dir.string() + "/<class>/*.png|jpg)"));
  }
  if (class_dirs.size() < 2) {
    throw bad_input(dir.string() + ": found 1 class folder (" +
                    class_dirs.front().filename().string() +
                    "); a classification set needs at least 2");
  }

  // List every class's image files first, so that max_per_class skips decoding the rest.
  std::vector<std::pair<fs::path, std::int32_t>> files;
  fs::path first_skipped, first_unreadable;
  std::size_t unreadable = 0;  // of the skipped files, images in formats d2a does not read
  for (std::size_t c = 0; c < class_dirs.size(); ++c) {
    set.class_names.push_back(class_dirs[c].filename().string());
    std::size_t images = 0;
    const std::size_t unreadable_before = unreadable;
    for (const auto& entry : class_files(class_dirs[c])) {
      if (!fs::is_regular_file(entry, ec) || !has_image_extension(entry)) {
        if (is_unreadable_image(entry)) {
          if (unreadable++ == 0) first_unreadable = entry;
        } else if (set.skipped_files - unreadable == 0) {
          first_skipped = entry;
        }
        ++set.skipped_files;
        continue;
      }
      if (options.max_per_class == 0 || images < options.max_per_class) {
        files.emplace_back(entry, static_cast<std::int32_t>(c));
      }
      ++images;
    }
    if (images == 0) {
      throw bad_input(class_dirs[c].string() + ": class folder holds no images d2a reads (" +
                      readable_formats() + ")" +
                      (unreadable > unreadable_before
                           ? "; it holds " + std::to_string(unreadable - unreadable_before) +
                                 " in other formats: convert them first"
                           : ""));
    }
  }
  if (set.skipped_files > unreadable) {
    std::cerr << "d2a: note: " << dir.string() << ": skipped " << set.skipped_files - unreadable
              << " non-image file(s) in class folders (first: " << first_skipped.string() << ")\n";
  }
  if (unreadable > 0) {
    std::cerr << "d2a: warning: " << dir.string() << ": skipped " << unreadable
              << " image(s) in a format d2a does not read (first: " << first_unreadable.string()
              << "); it reads " << readable_formats() << ": convert them to one of those\n";
  }

  std::vector<DecodedImage> images = decode_images(files, options.max_side, options.threads);
  bool any_colour = false;
  std::size_t shrunk = 0;
  std::pair<int, int> largest{0, 0};  // (height, width) of the largest image shrunk
  for (std::size_t i = 0; i < files.size(); ++i) {
    const DecodedImage& image = images[i];
    any_colour = any_colour || image.channels == 3;
    set.labels.push_back(files[i].second);
    if (image.original_height != image.height || image.original_width != image.width) {
      ++shrunk;
      const std::pair<int, int> size{image.original_height, image.original_width};
      if (static_cast<long long>(size.first) * size.second >
          static_cast<long long>(largest.first) * largest.second) {
        largest = size;
      }
    }
  }
  if (shrunk > 0) {
    std::cerr << "d2a: note: " << dir.string() << ": shrank " << shrunk << " of " << images.size()
              << " images to at most " << options.max_side
              << " px a side on reading (this command uses none larger; the largest was "
              << size_text(largest.first, largest.second) << ")\n";
  }

  const auto [height, width] = most_common_size(images);
  set.height = height;
  set.width = width;
  set.channels = any_colour ? 3 : 1;
  std::size_t first_odd = files.size();
  for (std::size_t i = 0; i < images.size(); ++i) {
    if (images[i].height != height || images[i].width != width) {
      if (first_odd == files.size()) first_odd = i;
      ++set.resized_images;
    }
  }
  if (set.resized_images > 0) {
    const std::string odd_file = files[first_odd].first.string();
    const std::string odd_size =
        size_text(images[first_odd].original_height, images[first_odd].original_width);
    if (options.mixed_sizes == MixedSizes::kRefuse) {
      throw bad_input(odd_file + ": image is " + odd_size + " but most images in " + dir.string() +
                      " are " + size_text(height, width) +
                      " (mixed sizes; resize the images or allow resizing)");
    }
    std::cerr << "d2a: warning: " << dir.string() << ": resized " << set.resized_images << " of "
              << images.size() << " images to the most common size " << size_text(height, width)
              << " (first: " << odd_file << ", " << odd_size << ")\n";
  }

  set.pixels.reserve(images.size() * set.image_bytes());
  for (auto& image : images) {
    std::vector<std::uint8_t> pixels = std::move(image.pixels);
    if (image.height != height || image.width != width) {
      pixels =
          resize_bilinear(pixels.data(), image.height, image.width, image.channels, height, width);
    }
    if (image.channels != set.channels) {
      pixels = convert_channels(pixels.data(), static_cast<std::size_t>(height) * width,
                                image.channels, set.channels);
    }
    set.pixels.insert(set.pixels.end(), pixels.begin(), pixels.end());
  }
  detail::finish_image_set(set, options);
  return set;
}

}  // namespace d2a
