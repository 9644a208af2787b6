#include "d2a/data/image_folder.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>
#include <optional>

#include "d2a/data/image_codecs.h"
#include "d2a/data/image_ops.h"
#include "d2a/data/open_image_set.h"
#include "data_test_support.h"

#if __has_include(<jpeglib.h>)
#include <jpeglib.h>
#endif
#if __has_include(<webp/encode.h>)
#include <webp/encode.h>
#endif

namespace d2a {
namespace {

namespace fs = std::filesystem;

TEST(ImageFolder, ReadsClassFoldersInSortedOrder) {
  const fs::path root = test::scratch_dir("folder_basic");
  test::write_png(root / "zebra" / "b.png", 4, 5, 3, 100);
  test::write_png(root / "zebra" / "a.png", 4, 5, 3, 50);
  test::write_png(root / "ant" / "x.PNG", 4, 5, 3, 0);
  stbi_write_jpg((root / "ant" / "y.jpeg").string().c_str(), 5, 4, 3,
                 std::vector<std::uint8_t>(60, 90).data(), 95);
  test::write_bytes(root / "ant" / "notes.txt", {'h', 'i'});
  test::write_bytes(root / "zebra" / "Thumbs.db", {0});
  test::write_bytes(root / "README", {'r'});  // loose files at the root are ignored

  testing::internal::CaptureStderr();
  const ImageSet set = read_image_folder(root.string(), DataOptions{});
  const std::string note = testing::internal::GetCapturedStderr();
  EXPECT_NE(note.find("skipped 2 non-image file"), std::string::npos) << note;
  EXPECT_EQ(std::count(note.begin(), note.end(), '\n'), 1) << note;
  EXPECT_EQ(set.class_names, (std::vector<std::string>{"ant", "zebra"}));
  EXPECT_EQ(set.labels, (std::vector<std::int32_t>{0, 0, 1, 1}));
  EXPECT_EQ(set.channels, 3);
  EXPECT_EQ(set.height, 4);
  EXPECT_EQ(set.width, 5);
  EXPECT_EQ(set.skipped_files, 2u);
  EXPECT_EQ(set.resized_images, 0u);
  EXPECT_EQ(set.split, "");
  EXPECT_EQ(set.image(0)[7], 7);        // x.PNG: value 0 + pixel index
  EXPECT_NEAR(set.image(1)[3], 90, 2);  // y.jpeg (lossy)
  EXPECT_EQ(set.image(2)[0], 50);       // zebra/a.png sorts before b.png
  EXPECT_EQ(set.image(3)[0], 100);

  DataOptions options;
  options.max_per_class = 1;
  const ImageSet first = read_image_folder(root.string(), options);
  EXPECT_EQ(first.size(), 2u);
  EXPECT_EQ(first.image(1)[0], 50);
}

TEST(ImageFolder, ConvertsAlphaAndMixedGreyAndColour) {
  const fs::path root = test::scratch_dir("folder_channels");
  test::write_png(root / "a" / "grey_alpha.png", 3, 3, 2, 10);
  test::write_png(root / "b" / "grey.png", 3, 3, 1, 20);
  test::write_png(root / "grey_only" / "x.png", 3, 3, 2, 0);
  fs::path grey_root = test::scratch_dir("folder_grey_alpha");
  test::write_png(grey_root / "a" / "ga.png", 3, 3, 2, 10);
  test::write_png(grey_root / "b" / "g.png", 3, 3, 1, 20);
  const ImageSet grey = read_image_folder(grey_root.string(), DataOptions{});
  EXPECT_EQ(grey.channels, 1);
  EXPECT_EQ(grey.image(0)[1], 12);  // grey+alpha keeps grey: values 10, 11(alpha), 12, ...

  test::write_png(root / "c" / "rgba.png", 3, 3, 4, 0);
  const ImageSet mixed = read_image_folder(root.string(), DataOptions{});
  EXPECT_EQ(mixed.channels, 3);
  ASSERT_EQ(mixed.size(), 4u);
  // grey pixel 0 of b/grey.png (value 20) is replicated to RGB.
  EXPECT_EQ(mixed.image(1)[0], 20);
  EXPECT_EQ(mixed.image(1)[1], 20);
  EXPECT_EQ(mixed.image(1)[2], 20);
  // RGBA drops alpha: pixel 1 of rgba.png is 4, 5, 6 (7 = alpha).
  EXPECT_EQ(mixed.image(2)[3], 4);
  EXPECT_EQ(mixed.image(2)[5], 6);
}

TEST(ImageFolder, TheSplitPicksTrainOrTest) {
  const fs::path root = test::scratch_dir("folder_split");
  test::write_png(root / "train" / "cat" / "1.png", 2, 2, 3);
  test::write_png(root / "train" / "cat" / "2.png", 2, 2, 3);
  test::write_png(root / "train" / "dog" / "1.png", 2, 2, 3);
  test::write_png(root / "test" / "cat" / "1.png", 2, 2, 3);
  test::write_png(root / "test" / "dog" / "1.png", 2, 2, 3);
  EXPECT_TRUE(has_split_folders(root.string()));
  DataOptions options;
  EXPECT_EQ(open_image_set(root.string(), options).size(), 3u);
  options.split = "test";
  const ImageSet test = open_image_set(root.string(), options);
  EXPECT_EQ(test.size(), 2u);
  EXPECT_EQ(test.split, "test");
  EXPECT_EQ(test.channels, 3);
  fs::remove_all(root / "test");
  test::expect_bad_input([&] { open_image_set(root.string(), options); }, (root / "test").string());
  options.split = "validation";
  test::expect_bad_input([&] { open_image_set(root.string(), options); }, "validation");
}

TEST(ImageFolder, ResizesMixedSizesToTheMostCommonOrRefuses) {
  const fs::path root = test::scratch_dir("folder_sizes");
  test::write_png(root / "a" / "1.png", 6, 6, 1, 0);
  test::write_png(root / "a" / "2.png", 6, 6, 1, 0);
  test::write_png(root / "b" / "1.png", 6, 6, 1, 0);
  std::vector<std::uint8_t> flat(12 * 9, 77);
  const fs::path odd = root / "b" / "2.png";
  stbi_write_png(odd.string().c_str(), 9, 12, 1, flat.data(), 9);

  testing::internal::CaptureStderr();
  const ImageSet set = read_image_folder(root.string(), DataOptions{});
  const std::string log = testing::internal::GetCapturedStderr();
  EXPECT_EQ(set.height, 6);
  EXPECT_EQ(set.width, 6);
  EXPECT_EQ(set.resized_images, 1u);
  for (std::size_t p = 0; p < 36; ++p) ASSERT_EQ(set.image(3)[p], 77);
  EXPECT_NE(log.find("warning"), std::string::npos) << log;
  EXPECT_NE(log.find(odd.string()), std::string::npos) << log;
  EXPECT_EQ(std::count(log.begin(), log.end(), '\n'), 1) << log;

  DataOptions refuse;
  refuse.mixed_sizes = MixedSizes::kRefuse;
  test::expect_bad_input([&] { read_image_folder(root.string(), refuse); }, odd.string());
}

// max_side: an image larger than it is shrunk as soon as it is read (each axis to at most
// max_side, exactly as resize_bilinear would), before sizes are compared; one note line says so.
// Images within it are untouched, byte for byte.
TEST(ImageFolder, ShrinksImagesLargerThanMaxSideOnReading) {
  const fs::path root = test::scratch_dir("folder_max_side");
  test::write_png(root / "a" / "wide.png", 40, 60, 3, 1);
  test::write_png(root / "a" / "small.png", 12, 10, 3, 2);
  test::write_png(root / "b" / "tall.png", 60, 40, 3, 3);
  test::write_png(root / "b" / "narrow.png", 20, 8, 3, 4);  // 8 wide: only its height shrinks

  DataOptions options;
  options.max_side = 16;
  testing::internal::CaptureStderr();
  const ImageSet set = read_image_folder(root.string(), options);
  const std::string log = testing::internal::GetCapturedStderr();
  // The sizes after shrinking: wide and tall 16x16, narrow 16x8, small 12x10: 16x16 is the most
  // common, so narrow and small are resized to it as in any mixed folder.
  EXPECT_EQ(set.height, 16);
  EXPECT_EQ(set.width, 16);
  EXPECT_EQ(set.resized_images, 2u);
  EXPECT_NE(log.find("shrank 3 of 4 images to at most 16 px a side"), std::string::npos) << log;
  EXPECT_NE(log.find("the largest was 40x60"), std::string::npos) << log;

  // a/small.png, a/wide.png, b/narrow.png, b/tall.png in that order.
  const auto original = [](int h, int w, int value) {
    std::vector<std::uint8_t> pixels(static_cast<std::size_t>(h) * w * 3);
    for (std::size_t i = 0; i < pixels.size(); ++i)
      pixels[i] = static_cast<std::uint8_t>(value + i);
    return pixels;
  };
  const auto wide = resize_bilinear(original(40, 60, 1).data(), 40, 60, 3, 16, 16);
  const auto tall = resize_bilinear(original(60, 40, 3).data(), 60, 40, 3, 16, 16);
  const auto narrow_once = resize_bilinear(original(20, 8, 4).data(), 20, 8, 3, 16, 8);
  const auto narrow = resize_bilinear(narrow_once.data(), 16, 8, 3, 16, 16);
  EXPECT_TRUE(std::equal(wide.begin(), wide.end(), set.image(1)));
  EXPECT_TRUE(std::equal(narrow.begin(), narrow.end(), set.image(2)));
  EXPECT_TRUE(std::equal(tall.begin(), tall.end(), set.image(3)));

  // A max_side no image exceeds changes nothing.
  DataOptions roomy;
  roomy.max_side = 60;
  testing::internal::CaptureStderr();
  const ImageSet kept = read_image_folder(root.string(), roomy);
  const std::string kept_log = testing::internal::GetCapturedStderr();
  const ImageSet plain = read_image_folder(root.string(), DataOptions{});
  EXPECT_EQ(kept.height, 12);  // four sizes once each: the first met, a/small.png's
  EXPECT_EQ(kept.width, 10);
  EXPECT_EQ(kept.pixels, plain.pixels);
  EXPECT_EQ(kept_log.find("shrank"), std::string::npos) << kept_log;

  DataOptions negative;
  negative.max_side = -1;
  test::expect_bad_input([&] { read_image_folder(root.string(), negative); }, "max side -1");
}

#if __has_include(<jpeglib.h>)
// A one-component (greyscale) JPEG: stb's writer always writes three (YCbCr).
bool write_grey_jpeg(const fs::path& path, int h, int w, const std::vector<std::uint8_t>& px) {
  FILE* file = std::fopen(path.c_str(), "wb");
  if (file == nullptr) return false;
  jpeg_compress_struct info;
  jpeg_error_mgr errors;
  info.err = jpeg_std_error(&errors);
  jpeg_create_compress(&info);
  jpeg_stdio_dest(&info, file);
  info.image_width = static_cast<JDIMENSION>(w);
  info.image_height = static_cast<JDIMENSION>(h);
  info.input_components = 1;
  info.in_color_space = JCS_GRAYSCALE;
  jpeg_set_defaults(&info);
  jpeg_set_quality(&info, 95, TRUE);
  jpeg_start_compress(&info, TRUE);
  while (info.next_scanline < info.image_height) {
    JSAMPROW row =
        const_cast<std::uint8_t*>(px.data()) + static_cast<std::size_t>(info.next_scanline) * w;
    jpeg_write_scanlines(&info, &row, 1);
  }
  jpeg_finish_compress(&info);
  jpeg_destroy_compress(&info);
  return std::fclose(file) == 0;
}
#endif

// A JPEG at least twice max_side a side is decoded at 1/2..1/8 of its size in libjpeg's DCT and
// then shrunk like any image: close to stb's full-size decode shrunk the same way, never a
// different size or channel order. Smaller JPEGs, and damaged ones, are stb's as before.
TEST(ImageFolder, DecodesLargeJpegsAtAFractionOfTheirSizeInTheDct) {
  EXPECT_EQ(jpeg_scale_denominator(3024, 4032, 32), 8);  // a phone photo: 378x504 >= 64
  EXPECT_EQ(jpeg_scale_denominator(192, 256, 32), 2);    // 96x128; at 1/4 48 < 64
  EXPECT_EQ(jpeg_scale_denominator(63, 1000, 32), 1);    // one side already below 2 x 32
  EXPECT_EQ(jpeg_scale_denominator(4000, 4000, 0), 1);   // no max_side: full size
  if (!jpeg_dct_scaling_available()) GTEST_SKIP() << "built without libjpeg: stb decodes all";

  const fs::path root = test::scratch_dir("folder_jpeg_dct");
  // Smooth colour with some detail, RGB 192x256 and grey 200x200, and an RGB 40x40 below 2 x 32.
  const auto picture = [](int h, int w, int c) {
    std::vector<std::uint8_t> px(static_cast<std::size_t>(h) * w * c);
    for (int y = 0; y < h; ++y)
      for (int x = 0; x < w; ++x)
        for (int k = 0; k < c; ++k)
          px[(static_cast<std::size_t>(y) * w + x) * c + k] = static_cast<std::uint8_t>(
              (x * (k + 1) + y * (3 - k) + ((x / 16 + y / 16) % 2) * 60) % 256);
    return px;
  };
  const fs::path colour = root / "a" / "colour.jpg", grey = root / "a" / "grey.jpg",
                 small = root / "b" / "small.jpg", cut = root / "b" / "cut.jpg";
  fs::create_directories(root / "a");
  fs::create_directories(root / "b");
  ASSERT_NE(stbi_write_jpg(colour.c_str(), 256, 192, 3, picture(192, 256, 3).data(), 95), 0);
#if __has_include(<jpeglib.h>)
  ASSERT_TRUE(write_grey_jpeg(grey, 200, 200, picture(200, 200, 1)));
#else
  GTEST_SKIP() << "no jpeglib.h to write a greyscale JPEG with";
#endif
  ASSERT_NE(stbi_write_jpg(small.c_str(), 40, 40, 3, picture(40, 40, 3).data(), 95), 0);

  // stb's full decode shrunk to 32x32 with the reader's own resize: the reference.
  const auto stb_shrunk = [](const fs::path& file, int channels) {
    int w = 0, h = 0, c = 0;
    stbi_uc* data = stbi_load(file.c_str(), &w, &h, &c, channels);
    EXPECT_NE(data, nullptr) << file;
    auto out = resize_bilinear(data, h, w, channels, std::min(h, 32), std::min(w, 32));
    stbi_image_free(data);
    return out;
  };
  const auto read = [&](const fs::path& file) {
    std::ifstream in(file, std::ios::binary);
    const std::vector<unsigned char> bytes((std::istreambuf_iterator<char>(in)),
                                           std::istreambuf_iterator<char>());
    return decode_jpeg_scaled(bytes.data(), bytes.size(), 32);
  };
  const auto mean_abs = [](const std::vector<std::uint8_t>& a, const std::uint8_t* b) {
    double sum = 0;
    for (std::size_t i = 0; i < a.size(); ++i) sum += std::abs(int(a[i]) - int(b[i]));
    return sum / static_cast<double>(a.size());
  };

  const auto scaled = read(colour);
  ASSERT_TRUE(scaled.has_value());
  EXPECT_EQ(scaled->denominator, 2);
  EXPECT_EQ(scaled->height, 96);
  EXPECT_EQ(scaled->width, 128);
  EXPECT_EQ(scaled->channels, 3);
  EXPECT_EQ(scaled->original_height, 192);
  EXPECT_EQ(scaled->original_width, 256);
  const auto grey_scaled = read(grey);
  ASSERT_TRUE(grey_scaled.has_value());
  EXPECT_EQ(grey_scaled->channels, 1);
  EXPECT_EQ(grey_scaled->denominator, 2);  // 100x100; at 1/4 50 < 64
  EXPECT_FALSE(read(small).has_value());   // below 2 x max_side: stb's

  // Half the bytes of the colour image: libjpeg warns of a premature end, so stb decides, and
  // the reader does what stb does with it (here stb decodes it; a failing stb is an error).
  {
    std::ifstream in(colour, std::ios::binary);
    std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    bytes.resize(bytes.size() / 2);
    std::ofstream(cut, std::ios::binary)
        .write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    EXPECT_FALSE(
        decode_jpeg_scaled(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), 32)
            .has_value());
  }

  DataOptions options;
  options.max_side = 32;
  testing::internal::CaptureStderr();
  std::optional<ImageSet> set;
  int w = 0, h = 0, c = 0;
  stbi_uc* cut_by_stb = stbi_load(cut.c_str(), &w, &h, &c, 3);
  if (cut_by_stb == nullptr) {
    test::expect_bad_input([&] { read_image_folder(root.string(), options); }, "cut.jpg");
    fs::remove(cut);
  } else {
    stbi_image_free(cut_by_stb);
  }
  set = read_image_folder(root.string(), options);
  const std::string log = testing::internal::GetCapturedStderr();
  EXPECT_NE(log.find("the largest was 192x256"), std::string::npos) << log;
  ASSERT_EQ(set->height, 32);
  ASSERT_EQ(set->width, 32);
  ASSERT_EQ(set->channels, 3);
  // a/colour.jpg, a/grey.jpg, b/[cut.jpg,] small.jpg: the grey one is widened to RGB.
  const auto colour_ref = stb_shrunk(colour, 3);
  const double colour_diff = mean_abs(colour_ref, set->image(0));
  EXPECT_LT(colour_diff, 2.0) << "mean absolute difference from stb's full decode";
  const auto grey_ref = stb_shrunk(grey, 1);
  const auto grey_rgb = convert_channels(grey_ref.data(), grey_ref.size(), 1, 3);
  EXPECT_LT(mean_abs(grey_rgb, set->image(1)), 2.0);
  // Below 2 x max_side nothing changed: stb's pixels, to the last bit.
  const auto small_ref = stb_shrunk(small, 3);
  const std::size_t last = set->labels.size() - 1;
  EXPECT_TRUE(std::equal(small_ref.begin(), small_ref.end(), set->image(last)));
  // The same pixels in another order would be far off: the comparison can fail.
  std::vector<std::uint8_t> swapped(set->image(0), set->image(0) + colour_ref.size());
  for (std::size_t i = 0; i + 2 < swapped.size(); i += 3) std::swap(swapped[i], swapped[i + 2]);
  EXPECT_GT(mean_abs(colour_ref, swapped.data()), 10.0);
  std::cout << "[ info ] DCT-scaled vs stb full decode, mean |difference|: " << colour_diff << "\n";
}

// Lossless formats besides PNG come back pixel for pixel: BMP and TGA (stb writes them), binary
// PPM and PGM (written here; the grey one widened to RGB in a colour set).
TEST(ImageFolder, ReadsBmpTgaAndPnmPixelForPixel) {
  const fs::path root = test::scratch_dir("folder_formats");
  const auto picture = [](int c, int seed) {
    std::vector<std::uint8_t> px(5 * 6 * static_cast<std::size_t>(c));
    for (std::size_t i = 0; i < px.size(); ++i) px[i] = static_cast<std::uint8_t>(seed + 37 * i);
    return px;
  };
  fs::create_directories(root / "a");
  fs::create_directories(root / "b");
  ASSERT_NE(stbi_write_bmp((root / "a" / "x.BMP").c_str(), 6, 5, 3, picture(3, 1).data()), 0);
  ASSERT_NE(stbi_write_tga((root / "a" / "y.tga").c_str(), 6, 5, 3, picture(3, 2).data()), 0);
  const auto write_pnm = [](const fs::path& path, const char* magic,
                            const std::vector<std::uint8_t>& px) {
    std::ofstream out(path, std::ios::binary);
    out << magic << "\n6 5\n255\n";
    out.write(reinterpret_cast<const char*>(px.data()), static_cast<std::streamsize>(px.size()));
  };
  write_pnm(root / "b" / "z.ppm", "P6", picture(3, 3));
  write_pnm(root / "b" / "g.pgm", "P5", picture(1, 4));

  const ImageSet set = read_image_folder(root.string(), DataOptions{});
  ASSERT_EQ(set.labels, (std::vector<std::int32_t>{0, 0, 1, 1}));
  EXPECT_EQ(set.height, 5);
  EXPECT_EQ(set.width, 6);
  ASSERT_EQ(set.channels, 3);
  EXPECT_EQ(set.skipped_files, 0u);
  const auto same = [&](std::size_t i, const std::vector<std::uint8_t>& px) {
    return std::equal(px.begin(), px.end(), set.image(i));
  };
  EXPECT_TRUE(same(0, picture(3, 1)));  // a/x.BMP
  EXPECT_TRUE(same(1, picture(3, 2)));  // a/y.tga
  const auto grey = picture(1, 4);      // b/g.pgm, widened
  EXPECT_TRUE(same(2, convert_channels(grey.data(), grey.size(), 1, 3)));
  EXPECT_TRUE(same(3, picture(3, 3)));  // b/z.ppm
  EXPECT_FALSE(same(3, picture(3, 4)));
}

// WebP (libwebp): lossless files come back pixel for pixel, alpha dropped as PNG's; a corrupt one
// is one error line naming it. Images in formats d2a does not read (HEIC here) are skipped with
// a warning that says which formats it reads, apart from the note about other files; a class of
// nothing but such images is an error that says so.
TEST(ImageFolder, ReadsWebpAndWarnsOfImagesInFormatsItDoesNotRead) {
#if __has_include(<webp/encode.h>)
  if (!webp_available()) GTEST_SKIP() << "built without libwebp: .webp files are skipped";
  const fs::path root = test::scratch_dir("folder_webp");
  fs::create_directories(root / "a");
  fs::create_directories(root / "b");
  std::vector<std::uint8_t> rgb(4 * 7 * 3), rgba(4 * 7 * 4);
  for (std::size_t i = 0; i < rgb.size(); ++i) rgb[i] = static_cast<std::uint8_t>(11 * i + 3);
  for (std::size_t i = 0; i < rgba.size(); ++i) rgba[i] = static_cast<std::uint8_t>(7 * i + 5);
  const auto write = [](const fs::path& path, std::uint8_t* data, std::size_t size) {
    std::ofstream(path, std::ios::binary)
        .write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
    WebPFree(data);
  };
  std::uint8_t* out = nullptr;
  std::size_t size = WebPEncodeLosslessRGB(rgb.data(), 7, 4, 7 * 3, &out);
  ASSERT_GT(size, 0u);
  write(root / "a" / "plain.webp", out, size);
  size = WebPEncodeLosslessRGBA(rgba.data(), 7, 4, 7 * 4, &out);
  ASSERT_GT(size, 0u);
  write(root / "b" / "alpha.WEBP", out, size);
  test::write_bytes(root / "b" / "phone.heic", {0, 0, 0, 24, 'f', 't', 'y', 'p'});
  test::write_bytes(root / "b" / "notes.txt", {'h', 'i'});

  testing::internal::CaptureStderr();
  const ImageSet set = read_image_folder(root.string(), DataOptions{});
  const std::string log = testing::internal::GetCapturedStderr();
  ASSERT_EQ(set.labels, (std::vector<std::int32_t>{0, 1}));
  EXPECT_EQ(set.height, 4);
  EXPECT_EQ(set.width, 7);
  ASSERT_EQ(set.channels, 3);
  EXPECT_TRUE(std::equal(rgb.begin(), rgb.end(), set.image(0)));
  const auto no_alpha = convert_channels(rgba.data(), 4 * 7, 4, 3);
  EXPECT_TRUE(std::equal(no_alpha.begin(), no_alpha.end(), set.image(1)));
  EXPECT_EQ(set.skipped_files, 2u);
  EXPECT_NE(log.find("skipped 1 non-image file(s) in class folders (first: " +
                     (root / "b" / "notes.txt").string()),
            std::string::npos)
      << log;
  EXPECT_NE(log.find("skipped 1 image(s) in a format d2a does not read (first: " +
                     (root / "b" / "phone.heic").string() +
                     "); it reads PNG, JPEG, BMP, TGA, PPM/PGM, WebP"),
            std::string::npos)
      << log;
  EXPECT_EQ(std::count(log.begin(), log.end(), '\n'), 2) << log;

  // A class of nothing d2a reads; then a corrupt WebP.
  fs::remove(root / "b" / "alpha.WEBP");
  test::expect_bad_input([&] { read_image_folder(root.string(), DataOptions{}); },
                         "holds no images d2a reads (PNG, JPEG, BMP, TGA, PPM/PGM, WebP); it "
                         "holds 1 in other formats: convert them first");
  test::write_bytes(root / "b" / "bad.webp", {'R', 'I', 'F', 'F', 30, 0, 0, 0, 'W', 'E', 'B', 'P',
                                              'V', 'P', '8', 'L', 1, 2});
  test::expect_bad_input([&] { read_image_folder(root.string(), DataOptions{}); },
                         "bad.webp: cannot decode image (WebP: ");
#else
  GTEST_SKIP() << "no webp/encode.h to write WebP files with";
#endif
}

// A WebP larger than twice max_side is shrunk by libwebp as it decodes, each axis to 2 x max_side,
// then like any image: close to the full decode shrunk by the reader's resize, never another size
// or channel order. Smaller ones, and a reader with no max_side, get every pixel as before.
TEST(ImageFolder, DecodesLargeWebpsShrunkWhileDecoding) {
  EXPECT_EQ(webp_decoded_side(3024, 32), 64);
  EXPECT_EQ(webp_decoded_side(50, 32), 50);  // already below 2 x 32
  EXPECT_EQ(webp_decoded_side(3024, 0), 3024);
#if __has_include(<webp/encode.h>)
  if (!webp_available()) GTEST_SKIP() << "built without libwebp: .webp files are skipped";
  const int h = 300, w = 400;  // smooth colour with some detail; R, G and B differ
  std::vector<std::uint8_t> rgb(static_cast<std::size_t>(h) * w * 3);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x)
      for (int k = 0; k < 3; ++k)
        rgb[(static_cast<std::size_t>(y) * w + x) * 3 + k] = static_cast<std::uint8_t>(
            (x * (k + 1) / 2 + y * (3 - k) / 2 + ((x / 40 + y / 40) % 2) * 60) % 256);
  std::uint8_t* encoded = nullptr;
  const std::size_t size = WebPEncodeLosslessRGB(rgb.data(), w, h, w * 3, &encoded);
  ASSERT_GT(size, 0u);
  const std::vector<std::uint8_t> bytes(encoded, encoded + size);
  WebPFree(encoded);

  std::string error;
  const auto full = decode_webp(bytes.data(), bytes.size(), 0, error);
  ASSERT_TRUE(full.has_value()) << error;
  EXPECT_EQ(full->height, h);
  EXPECT_EQ(full->width, w);
  EXPECT_TRUE(std::equal(rgb.begin(), rgb.end(), full->pixels.begin()));  // lossless
  const auto scaled = decode_webp(bytes.data(), bytes.size(), 32, error);
  ASSERT_TRUE(scaled.has_value()) << error;
  EXPECT_EQ(scaled->height, 64);
  EXPECT_EQ(scaled->width, 64);
  EXPECT_EQ(scaled->channels, 3);
  EXPECT_EQ(scaled->original_height, h);
  EXPECT_EQ(scaled->original_width, w);
  EXPECT_EQ(scaled->pixels.size(), 64u * 64u * 3u);

  const fs::path root = test::scratch_dir("folder_webp_scaled");
  fs::create_directories(root / "a");
  fs::create_directories(root / "b");
  std::ofstream(root / "a" / "big.webp", std::ios::binary)
      .write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(size));
  test::write_png(root / "b" / "small.png", 32, 32, 3, 7);
  DataOptions options;
  options.max_side = 32;
  testing::internal::CaptureStderr();
  const ImageSet set = read_image_folder(root.string(), options);
  testing::internal::GetCapturedStderr();
  ASSERT_EQ(set.height, 32);
  ASSERT_EQ(set.width, 32);
  ASSERT_EQ(set.channels, 3);
  const auto reference = resize_bilinear(rgb.data(), h, w, 3, 32, 32);
  const auto mean_abs = [&](const std::uint8_t* b) {
    double sum = 0;
    for (std::size_t i = 0; i < reference.size(); ++i)
      sum += std::abs(int(reference[i]) - int(b[i]));
    return sum / static_cast<double>(reference.size());
  };
  const double diff = mean_abs(set.image(0));
  EXPECT_LT(diff, 3.0) << "mean absolute difference from the full decode shrunk by the reader";
  // The same pixels in another channel order are far off: the comparison can fail.
  std::vector<std::uint8_t> swapped(set.image(0), set.image(0) + reference.size());
  for (std::size_t i = 0; i + 2 < swapped.size(); i += 3) std::swap(swapped[i], swapped[i + 2]);
  EXPECT_GT(mean_abs(swapped.data()), 10.0);
  std::cout << "[ info ] WebP scaled while decoded vs full decode, mean |difference|: " << diff
            << "\n";
#else
  GTEST_SKIP() << "no webp/encode.h to write WebP files with";
#endif
}

// A JPEG whose bytes carry an EXIF APP1 segment with Orientation = `orientation` (big-endian
// TIFF, or little-endian with `little`), inserted after the SOI marker of `jpeg`.
std::vector<std::uint8_t> with_exif_orientation(const std::vector<std::uint8_t>& jpeg,
                                                int orientation, bool little = false) {
  const auto u16 = [&](int v) {
    return little ? std::vector<std::uint8_t>{std::uint8_t(v), std::uint8_t(v >> 8)}
                  : std::vector<std::uint8_t>{std::uint8_t(v >> 8), std::uint8_t(v)};
  };
  std::vector<std::uint8_t> tiff = {std::uint8_t(little ? 'I' : 'M'),
                                    std::uint8_t(little ? 'I' : 'M')};
  const auto add = [&](const std::vector<std::uint8_t>& b) {
    tiff.insert(tiff.end(), b.begin(), b.end());
  };
  add(u16(42));
  add(little ? std::vector<std::uint8_t>{8, 0, 0, 0} : std::vector<std::uint8_t>{0, 0, 0, 8});
  add(u16(2));  // two entries: ImageWidth first, then Orientation
  add(u16(0x0100));
  add(u16(3));
  add(little ? std::vector<std::uint8_t>{1, 0, 0, 0} : std::vector<std::uint8_t>{0, 0, 0, 1});
  add(u16(6));
  add(u16(0));
  add(u16(0x0112));
  add(u16(3));
  add(little ? std::vector<std::uint8_t>{1, 0, 0, 0} : std::vector<std::uint8_t>{0, 0, 0, 1});
  add(u16(orientation));
  add(u16(0));
  add({0, 0, 0, 0});  // no next IFD
  std::vector<std::uint8_t> app1 = {0xFF, 0xE1, 0, 0, 'E', 'x', 'i', 'f', 0, 0};
  app1.insert(app1.end(), tiff.begin(), tiff.end());
  const std::size_t length = app1.size() - 2;
  app1[2] = static_cast<std::uint8_t>(length >> 8);
  app1[3] = static_cast<std::uint8_t>(length);
  std::vector<std::uint8_t> out(jpeg.begin(), jpeg.begin() + 2);
  out.insert(out.end(), app1.begin(), app1.end());
  out.insert(out.end(), jpeg.begin() + 2, jpeg.end());
  return out;
}

std::vector<std::uint8_t> file_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Phones store portrait photos sideways with an EXIF orientation; the reader turns them upright
// as a photo viewer shows them, for every one of the 8 orientations, on both the full-size (stb)
// and the DCT-scaled path. Without the tag, or with a damaged one, nothing turns.
TEST(ImageFolder, TurnsJpegsUprightAsTheirExifOrientationSays) {
  const fs::path root = test::scratch_dir("folder_exif");
  const fs::path plain = root / "plain.jpg";
  std::vector<std::uint8_t> px(4 * 6 * 3);
  for (std::size_t i = 0; i < px.size(); ++i) px[i] = static_cast<std::uint8_t>(i * 10 % 256);
  ASSERT_NE(stbi_write_jpg(plain.c_str(), 6, 4, 3, px.data(), 95), 0);  // 4 high, 6 wide
  const std::vector<std::uint8_t> jpeg = file_bytes(plain);
  EXPECT_EQ(jpeg_exif_orientation(jpeg.data(), jpeg.size()), 1);
  int w = 0, h = 0, c = 0;
  stbi_uc* raw = stbi_load(plain.c_str(), &w, &h, &c, 3);
  ASSERT_NE(raw, nullptr);
  const std::vector<std::uint8_t> stored(raw, raw + 4 * 6 * 3);
  stbi_image_free(raw);

  // The pixel shown at (y, x) upright is the stored pixel at ...: EXIF's table, written out.
  const auto expected = [&](int orientation) {
    const bool turned = orientation >= 5;
    const int oh = turned ? 6 : 4, ow = turned ? 4 : 6;
    std::vector<std::uint8_t> out;
    for (int y = 0; y < oh; ++y) {
      for (int x = 0; x < ow; ++x) {
        const std::pair<int, int> at[9] = {{0, 0},         {y, x},         {y, 5 - x},
                                           {3 - y, 5 - x}, {3 - y, x},     {x, y},
                                           {3 - x, y},     {3 - x, 5 - y}, {x, 5 - y}};
        const auto [sy, sx] = at[orientation];
        for (int k = 0; k < 3; ++k) out.push_back(stored[(sy * 6 + sx) * 3 + k]);
      }
    }
    return out;
  };
  for (int orientation = 1; orientation <= 8; ++orientation) {
    for (const bool little : {false, true}) {
      const auto tagged = with_exif_orientation(jpeg, orientation, little);
      ASSERT_EQ(jpeg_exif_orientation(tagged.data(), tagged.size()), orientation);
      const fs::path dir = root / ("o" + std::to_string(orientation) + (little ? "le" : "be"));
      test::write_bytes(dir / "a" / "photo.jpg", tagged);
      test::write_bytes(dir / "b" / "photo.jpg", tagged);
      const ImageSet set = read_image_folder(dir.string(), DataOptions{});
      EXPECT_EQ(set.height, orientation >= 5 ? 6 : 4) << orientation;
      const auto want = expected(orientation);
      EXPECT_TRUE(std::equal(want.begin(), want.end(), set.image(0)))
          << "orientation " << orientation;
    }
  }
  EXPECT_NE(expected(6), expected(8));  // the table tells the turns apart

  // Damaged EXIF: a cut segment, an IFD offset past the end, a value out of range: as stored.
  auto cut = with_exif_orientation(jpeg, 6);
  cut.resize(30);
  EXPECT_EQ(jpeg_exif_orientation(cut.data(), cut.size()), 1);
  auto far = with_exif_orientation(jpeg, 6);
  far[4 + 6 + 7] = 0xF0;  // IFD0 offset 0x...F0: outside the segment
  EXPECT_EQ(jpeg_exif_orientation(far.data(), far.size()), 1);
  auto nine = with_exif_orientation(jpeg, 9);
  EXPECT_EQ(jpeg_exif_orientation(nine.data(), nine.size()), 1);

  // The DCT-scaled path turns too: a 64x128 photo tagged 6, kept at 16 px a side, equals the
  // upright copy shrunk the same way within a level of rounding.
  if (jpeg_dct_scaling_available()) {
    std::vector<std::uint8_t> big(64 * 128 * 3);
    for (std::size_t i = 0; i < big.size(); ++i)
      big[i] = static_cast<std::uint8_t>((i / 3 % 128) + (i / 384) + 40 * (i % 3));
    const fs::path big_plain = root / "big.jpg";
    ASSERT_NE(stbi_write_jpg(big_plain.c_str(), 128, 64, 3, big.data(), 95), 0);
    const auto big_jpeg = file_bytes(big_plain);
    const auto scaled = decode_jpeg_scaled(big_jpeg.data(), big_jpeg.size(), 16);
    ASSERT_TRUE(scaled.has_value());
    ASSERT_EQ(scaled->denominator, 2);
    DecodedPixels upright = *scaled;
    apply_exif_orientation(upright, 6);
    ASSERT_EQ(upright.height, 64);
    ASSERT_EQ(upright.width, 32);
    EXPECT_EQ(upright.original_height, 128);
    const auto want = resize_bilinear(upright.pixels.data(), 64, 32, 3, 16, 16);
    const fs::path dir = root / "dct";
    test::write_bytes(dir / "a" / "photo.jpg", with_exif_orientation(big_jpeg, 6));
    test::write_bytes(dir / "b" / "photo.jpg", big_jpeg);
    DataOptions options;
    options.max_side = 16;
    testing::internal::CaptureStderr();
    const ImageSet set = read_image_folder(dir.string(), options);
    const std::string log = testing::internal::GetCapturedStderr();
    EXPECT_NE(log.find("the largest was 128x64"), std::string::npos) << log;
    EXPECT_TRUE(std::equal(want.begin(), want.end(), set.image(0)));
    const std::vector<std::uint8_t> unturned(set.image(1), set.image(1) + want.size());
    EXPECT_NE(unturned, want);
  }
}

// Images may lie in sub-folders of a class folder at any depth, as torchvision's ImageFolder
// reads them, and in its order: folders sorted by path as text ("a/sub" < "a/sub-2" <
// "a/sub/deep"), then file names. Hidden folders are skipped; a link back up is followed once.
TEST(ImageFolder, ReadsImagesInSubFoldersOfAClassInTorchvisionsOrder) {
  const fs::path root = test::scratch_dir("folder_nested");
  test::write_png(root / "cat" / "m.png", 2, 2, 1, 10);
  test::write_png(root / "cat" / "sub" / "b.png", 2, 2, 1, 20);
  test::write_png(root / "cat" / "sub-2" / "c.png", 2, 2, 1, 30);
  test::write_png(root / "cat" / "sub" / "deep" / "d.png", 2, 2, 1, 40);
  test::write_png(root / "cat" / ".cache" / "x.png", 2, 2, 1, 50);
  fs::create_directory_symlink("..", root / "cat" / "sub" / "loop");  // back to cat: a cycle
  test::write_png(root / "dog" / "2024" / "e.png", 2, 2, 1, 60);

  const ImageSet set = read_image_folder(root.string(), DataOptions{});
  ASSERT_EQ(set.labels, (std::vector<std::int32_t>{0, 0, 0, 0, 1}));
  std::vector<int> firsts;
  for (std::size_t i = 0; i < set.labels.size(); ++i) firsts.push_back(set.image(i)[0]);
  // m, sub/b, sub-2/c, sub/deep/d (depth-first would put d before c), then the dog.
  EXPECT_EQ(firsts, (std::vector<int>{10, 20, 30, 40, 60}));
  EXPECT_EQ(set.skipped_files, 0u);

  DataOptions two;
  two.max_per_class = 2;
  const ImageSet first_two = read_image_folder(root.string(), two);
  ASSERT_EQ(first_two.labels, (std::vector<std::int32_t>{0, 0, 1}));
  EXPECT_EQ(first_two.image(1)[0], 20);
}

// Decoding on several threads gives the set of one thread, and the error of the first bad file in
// file order, however the threads are timed.
TEST(ImageFolder, DecodesOnThreadsToTheSameSetAndTheFirstError) {
  const fs::path root = test::scratch_dir("folder_threads");
  for (int c = 0; c < 2; ++c) {
    for (int i = 0; i < 9; ++i) {
      test::write_png(root / ("c" + std::to_string(c)) / (std::to_string(i) + ".png"), 7 + i, 9, 3,
                      40 * c + i);
    }
  }
  DataOptions one;
  testing::internal::CaptureStderr();
  const ImageSet serial = read_image_folder(root.string(), one);
  DataOptions four;
  four.threads = 4;
  const ImageSet parallel = read_image_folder(root.string(), four);
  testing::internal::GetCapturedStderr();
  EXPECT_EQ(parallel.pixels, serial.pixels);
  EXPECT_EQ(parallel.labels, serial.labels);
  EXPECT_EQ(parallel.height, serial.height);

  test::write_bytes(root / "c0" / "8.png", {1, 2, 3});  // the later bad file, decoded first
  test::write_bytes(root / "c0" / "1.png", {4, 5, 6});  // the first in file order
  for (int run = 0; run < 5; ++run) {
    test::expect_bad_input([&] { read_image_folder(root.string(), four); },
                           (root / "c0" / "1.png").string());
  }
  DataOptions negative;
  negative.threads = -2;
  test::expect_bad_input([&] { read_image_folder(root.string(), negative); }, "-2 reading threads");
}

TEST(ImageFolder, RejectsBadFoldersAndImagesNamingThem) {
  const DataOptions options;
  const fs::path missing = test::scratch_dir("folder_missing") / "nope";
  test::expect_bad_input([&] { open_image_set(missing.string(), options); }, missing.string());

  const fs::path empty = test::scratch_dir("folder_empty");
  test::expect_bad_input([&] { open_image_set(empty.string(), options); }, "empty folder");

  const fs::path one = test::scratch_dir("folder_one_class");
  test::write_png(one / "only" / "1.png", 2, 2, 1);
  test::expect_bad_input([&] { open_image_set(one.string(), options); }, one.string());

  const fs::path no_images = test::scratch_dir("folder_no_images");
  test::write_png(no_images / "a" / "1.png", 2, 2, 1);
  test::write_bytes(no_images / "b" / "readme.txt", {'x'});
  test::expect_bad_input([&] { open_image_set(no_images.string(), options); },
                         (no_images / "b").string());

  const fs::path corrupt = test::scratch_dir("folder_corrupt");
  test::write_png(corrupt / "a" / "1.png", 2, 2, 1);
  test::write_bytes(corrupt / "b" / "bad.png", {'g', 'a', 'r', 'b', 'a', 'g', 'e', 1, 2, 3});
  test::expect_bad_input([&] { open_image_set(corrupt.string(), options); },
                         (corrupt / "b" / "bad.png").string());

  const fs::path truncated = test::scratch_dir("folder_truncated");
  test::write_png(truncated / "a" / "1.png", 2, 2, 1);
  test::write_png(truncated / "b" / "full.png", 16, 16, 3, 0);
  auto bytes = test::read_bytes(truncated / "b" / "full.png");
  bytes.resize(bytes.size() / 2);
  fs::remove(truncated / "b" / "full.png");
  test::write_bytes(truncated / "b" / "half.png", bytes);
  test::expect_bad_input([&] { open_image_set(truncated.string(), options); },
                         (truncated / "b" / "half.png").string());
  // A JPEG cut inside its headers: stb's last reason would name PNG; the message names JPEG.
  fs::remove(truncated / "b" / "half.png");
  std::vector<std::uint8_t> photo(40 * 40 * 3);
  for (std::size_t i = 0; i < photo.size(); ++i) photo[i] = static_cast<std::uint8_t>(i * 7 % 251);
  ASSERT_NE(stbi_write_jpg((truncated / "b" / "full.jpg").c_str(), 40, 40, 3, photo.data(), 50), 0);
  auto jpeg = test::read_bytes(truncated / "b" / "full.jpg");
  jpeg.resize(100);
  fs::remove(truncated / "b" / "full.jpg");
  test::write_bytes(truncated / "b" / "half.jpg", jpeg);
  test::expect_bad_input([&] { open_image_set(truncated.string(), options); },
                         (truncated / "b" / "half.jpg").string() +
                             ": cannot decode image (corrupt or truncated JPEG)");
}

TEST(ImageFolder, ReadsTheCifar10JpegTestSplit) {
  D2A_REQUIRE_FILE(test::cifar10_jpeg_tarball());
  const fs::path root = test::unpacked_cifar10_jpeg("test");
  ASSERT_TRUE(fs::is_directory(root / "test")) << "unpacking failed: " << root;
  DataOptions options;
  options.split = "test";
  const ImageSet test = open_image_set(root.string(), options);
  EXPECT_EQ(test.size(), 10000u);
  EXPECT_EQ(test.height, 32);
  EXPECT_EQ(test.width, 32);
  EXPECT_EQ(test.channels, 3);
  ASSERT_EQ(test.num_classes(), 10u);
  EXPECT_EQ(test.class_names.front(), "airplane");
  EXPECT_EQ(test.class_names.back(), "truck");
  EXPECT_EQ(class_counts(test), std::vector<std::size_t>(10, 1000));
  EXPECT_EQ(test.skipped_files, 0u);

  options.max_per_class = 7;
  const ImageSet seven = open_image_set(root.string(), options);
  EXPECT_EQ(seven.size(), 70u);
  EXPECT_EQ(class_counts(seven), std::vector<std::size_t>(10, 7));
  // The first 7 of each class in file order are the same images as in the full read.
  const std::size_t bytes = test.image_bytes();
  EXPECT_TRUE(std::equal(seven.image(7), seven.image(7) + bytes, test.image(1000)));
  EXPECT_TRUE(std::equal(seven.image(69), seven.image(69) + bytes, test.image(9006)));
}

}  // namespace
}  // namespace d2a
