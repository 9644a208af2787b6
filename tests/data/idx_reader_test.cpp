#include "d2a/data/idx_reader.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include "d2a/data/open_image_set.h"
#include "data_test_support.h"

namespace d2a {
namespace {

namespace fs = std::filesystem;

void put_u32(std::vector<std::uint8_t>& out, std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<std::uint8_t>(v >> shift));
}

// An IDX images file of `count` images of rows x cols; pixel (i, p) = i * 10 + p.
std::vector<std::uint8_t> idx_images(std::uint32_t count, std::uint32_t rows, std::uint32_t cols) {
  std::vector<std::uint8_t> out;
  put_u32(out, 0x00000803);
  put_u32(out, count);
  put_u32(out, rows);
  put_u32(out, cols);
  for (std::uint32_t i = 0; i < count; ++i) {
    for (std::uint32_t p = 0; p < rows * cols; ++p)
      out.push_back(static_cast<std::uint8_t>(i * 10 + p));
  }
  return out;
}

std::vector<std::uint8_t> idx_labels(const std::vector<std::uint8_t>& labels) {
  std::vector<std::uint8_t> out;
  put_u32(out, 0x00000801);
  put_u32(out, static_cast<std::uint32_t>(labels.size()));
  out.insert(out.end(), labels.begin(), labels.end());
  return out;
}

void write_gz(const fs::path& path, const std::vector<std::uint8_t>& bytes) {
  gzFile f = gzopen(path.string().c_str(), "wb");
  ASSERT_NE(f, nullptr);
  ASSERT_EQ(gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size())),
            static_cast<int>(bytes.size()));
  gzclose(f);
}

TEST(IdxReader, ReadsPlainAndGzipSplits) {
  const fs::path dir = test::scratch_dir("idx_plain_gz");
  test::write_bytes(dir / "train-images-idx3-ubyte", idx_images(4, 2, 3));
  test::write_bytes(dir / "train-labels-idx1-ubyte", idx_labels({1, 0, 2, 1}));
  write_gz(dir / "t10k-images-idx3-ubyte.gz", idx_images(3, 2, 3));
  write_gz(dir / "t10k-labels-idx1-ubyte.gz", idx_labels({2, 1, 0}));

  DataOptions options;
  const ImageSet train = read_idx_folder(dir.string(), options);
  EXPECT_EQ(train.size(), 4u);
  EXPECT_EQ(train.height, 2);
  EXPECT_EQ(train.width, 3);
  EXPECT_EQ(train.channels, 1);
  EXPECT_EQ(train.labels, (std::vector<std::int32_t>{1, 0, 2, 1}));
  EXPECT_EQ(train.class_names, (std::vector<std::string>{"0", "1", "2"}));
  EXPECT_EQ(train.image(2)[5], 25);  // image 2, pixel 5
  EXPECT_EQ(train.split, "train");

  options.split = "test";
  const ImageSet test = open_image_set(dir.string(), options);  // the dispatcher finds IDX
  EXPECT_EQ(test.size(), 3u);
  EXPECT_EQ(test.labels, (std::vector<std::int32_t>{2, 1, 0}));
  EXPECT_EQ(test.image(1)[0], 10);

  options.split = "train";
  options.max_per_class = 1;
  const ImageSet few = read_idx_folder(dir.string(), options);
  EXPECT_EQ(few.labels, (std::vector<std::int32_t>{1, 0, 2}));  // first of each class, in order
  EXPECT_EQ(few.image(2)[0], 20);
}

TEST(IdxReader, RejectsBadFilesNamingThem) {
  const fs::path dir = test::scratch_dir("idx_bad");
  const std::string images = (dir / "train-images-idx3-ubyte").string();
  const std::string labels = (dir / "train-labels-idx1-ubyte").string();
  const DataOptions options;

  test::expect_bad_input([&] { read_idx_folder(dir.string(), options); }, dir.string());

  auto bytes = idx_images(4, 2, 3);
  test::write_bytes(labels, idx_labels({0, 1, 0, 1}));
  bytes[3] = 0x02;  // wrong magic
  test::write_bytes(images, bytes);
  test::expect_bad_input([&] { read_idx_folder(dir.string(), options); }, images);

  bytes = idx_images(4, 2, 3);
  bytes.resize(bytes.size() - 5);  // truncated pixel data
  test::write_bytes(images, bytes);
  test::expect_bad_input([&] { read_idx_folder(dir.string(), options); }, images);
  test::write_bytes(images, {0, 0});  // truncated header
  test::expect_bad_input([&] { read_idx_files(images, labels); }, images);

  test::write_bytes(images, idx_images(4, 2, 3));
  test::write_bytes(labels, idx_labels({0, 1, 0}));  // 3 labels for 4 images
  test::expect_bad_input([&] { read_idx_folder(dir.string(), options); }, labels);

  auto label_bytes = idx_labels({0, 1, 0, 1});
  label_bytes[3] = 0x03;  // an images magic in the labels file
  test::write_bytes(labels, label_bytes);
  test::expect_bad_input([&] { read_idx_folder(dir.string(), options); }, labels);

  test::write_bytes(labels, idx_labels({0, 0, 0, 0}));  // one class only
  test::expect_bad_input([&] { read_idx_folder(dir.string(), options); }, "at least 2");

  fs::remove(labels);
  test::expect_bad_input([&] { read_idx_folder(dir.string(), options); }, labels);
}

TEST(IdxReader, ReadsDebianFashionMnist) {
  const fs::path dir = kFashionMnistPath;
  D2A_REQUIRE_FILE(dir / "train-images-idx3-ubyte.gz");
  const ImageSet train = open_image_set("fashion-mnist", DataOptions{});
  EXPECT_EQ(train.size(), 60000u);
  EXPECT_EQ(train.height, 28);
  EXPECT_EQ(train.width, 28);
  EXPECT_EQ(train.channels, 1);
  ASSERT_EQ(train.num_classes(), 10u);
  EXPECT_EQ(train.class_names.front(), "T-shirt/top");
  EXPECT_EQ(train.class_names.back(), "Ankle boot");
  EXPECT_EQ(class_counts(train), std::vector<std::size_t>(10, 6000));
  EXPECT_EQ(train.source, "fashion-mnist");

  DataOptions options;
  options.split = "test";
  const ImageSet test = open_image_set("fashion-mnist", options);
  EXPECT_EQ(test.size(), 10000u);
  EXPECT_EQ(class_counts(test), std::vector<std::size_t>(10, 1000));
  EXPECT_EQ(test.labels.front(), 9);  // the first t10k image is an ankle boot
}

}  // namespace
}  // namespace d2a
