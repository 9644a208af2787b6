#include "d2a/nn/network_export.h"

#include <gtest/gtest.h>
#include <torch/torch.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "d2a/error.h"

namespace d2a {
namespace {

Nb201Network small_network() {
  torch::manual_seed(4);
  Nb201MacroConfig m;
  m.channels = 4;
  m.cells_per_stage = 1;
  m.input_channels = 1;
  m.num_classes = 5;
  m.image_size = 16;
  Nb201Network net(Nb201NetworkOptions(
      Nb201Cell::parse("|nor_conv_3x3~0|+|none~0|avg_pool_3x3~1|+|skip_connect~0|"
                       "nor_conv_1x1~1|nor_conv_3x3~2|"),
      m));
  // Give the BN running statistics non-default values so that buffers are tested too.
  net->train();
  {
    torch::NoGradGuard no_grad;
    net->forward(torch::randn({8, 1, 16, 16}));
  }
  net->eval();
  return net;
}

// A fresh folder for one test, removed afterwards. (tests/test_support.h's scratch_dir needs
// D2A_BINARY_DIR, which the torch test group is not compiled with.)
struct ScratchDir {
  explicit ScratchDir(const std::string& name)
      : path(std::filesystem::temp_directory_path() /
             ("d2a_test_" + std::to_string(::getpid()) + "_" + name)) {
    std::filesystem::remove_all(path);
    std::filesystem::create_directories(path);
  }
  ~ScratchDir() { std::filesystem::remove_all(path); }
  std::filesystem::path path;
};

std::vector<char> read_bytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

TEST(NetworkExport, PickledDictHoldsEveryTensorAndTheDescription) {
  const ScratchDir dir("network_export");
  const auto path = dir.path / "net.pt";
  const Nb201Network net = small_network();
  export_network(net, path.string(), {{"seed", 4}, {"budget", "cpu-fast"}});
  ASSERT_TRUE(std::filesystem::exists(path));
  EXPECT_FALSE(std::filesystem::exists(path.string() + ".tmp"));

  const torch::IValue value = torch::pickle_load(read_bytes(path));
  ASSERT_TRUE(value.isGenericDict());
  const auto dict = value.toGenericDict();
  EXPECT_EQ(dict.at("format").toStringRef(), kNb201ExportFormat);
  EXPECT_EQ(dict.at("cell").toStringRef(), net->options.cell().str());
  const auto config = nlohmann::json::parse(dict.at("config").toStringRef());
  EXPECT_EQ(config.at("channels"), 4);
  EXPECT_EQ(config.at("num_classes"), 5);
  EXPECT_EQ(nlohmann::json::parse(dict.at("metadata").toStringRef()).at("budget"), "cpu-fast");
  const auto state = dict.at("state_dict").toGenericDict();
  std::size_t expected = 0;
  for (const auto& item : net->named_parameters()) {
    ++expected;
    ASSERT_TRUE(state.contains(item.key())) << item.key();
    EXPECT_TRUE(torch::equal(state.at(item.key()).toTensor(), item.value())) << item.key();
  }
  for (const auto& item : net->named_buffers()) {
    ++expected;
    ASSERT_TRUE(state.contains(item.key())) << item.key();
    EXPECT_TRUE(torch::equal(state.at(item.key()).toTensor(), item.value())) << item.key();
  }
  EXPECT_EQ(state.size(), expected);
  EXPECT_TRUE(state.contains("stage0_cell0.edge0.conv.weight"));
  EXPECT_TRUE(state.contains("last_bn.running_var"));
}

TEST(NetworkExport, LoadRebuildsANetworkThatComputesTheSameLogits) {
  const ScratchDir dir("network_load");
  const auto path = dir.path / "net.pt";
  Nb201Network net = small_network();
  export_network(net, path.string(), {{"seed", 4}});
  ExportedNetwork loaded = load_exported_network(path.string());
  EXPECT_EQ(loaded.metadata.at("seed"), 4);
  EXPECT_EQ(loaded.network->options.cell(), net->options.cell());
  const torch::Tensor x = torch::randn({3, 1, 16, 16});
  torch::NoGradGuard no_grad;
  EXPECT_TRUE(torch::equal(loaded.network->forward(x), net->forward(x)));
}

TEST(NetworkExport, BadFilesAreBadInput) {
  const ScratchDir dir("network_load_bad");
  EXPECT_THROW(load_exported_network((dir.path / "missing.pt").string()), Error);
  {
    std::ofstream out(dir.path / "junk.pt");
    out << "not a pickle";
  }
  EXPECT_THROW(load_exported_network((dir.path / "junk.pt").string()), Error);
  EXPECT_THROW(export_network(small_network(), (dir.path / "no" / "such" / "dir.pt").string(), {}),
               Error);
}

TEST(DartsNetworkExport, LoadRebuildsTheGenotypeNetworkWithItsAuxiliaryHead) {
  const ScratchDir dir("darts_network_load");
  const auto path = dir.path / "darts.pt";
  torch::manual_seed(5);
  DartsNetwork net(DartsNetworkOptions(DartsGenotype::parse(
                       "Genotype(normal=[('sep_conv_3x3', 0), ('dil_conv_5x5', 1), "
                       "('skip_connect', 0), ('avg_pool_3x3', 2), ('none', 1), "
                       "('sep_conv_5x5', 3), ('max_pool_3x3', 0), ('skip_connect', 4)], "
                       "normal_concat=[2, 3, 4, 5], reduce=[('skip_connect', 0), "
                       "('max_pool_3x3', 1), ('sep_conv_3x3', 2), ('skip_connect', 1), "
                       "('dil_conv_3x3', 0), ('avg_pool_3x3', 3), ('skip_connect', 4), "
                       "('sep_conv_3x3', 2)], reduce_concat=[3, 4, 5])"))
                       .channels(4)
                       .layers(3)
                       .input_channels(1)
                       .num_classes(4)
                       .auxiliary(true));
  net->train();
  {
    torch::NoGradGuard no_grad;
    net->forward(torch::randn({4, 1, 16, 16}));  // non-default BN statistics
  }
  net->eval();
  export_network(net, path.string(), {{"seed", 5}});
  ExportedDartsNetwork loaded = load_exported_darts_network(path.string());
  EXPECT_EQ(loaded.metadata.at("seed"), 5);
  EXPECT_EQ(loaded.network->options.genotype(), net->options.genotype());
  ASSERT_TRUE(loaded.network->auxiliary_head);
  EXPECT_FALSE(loaded.network->is_training());
  EXPECT_TRUE(torch::equal(loaded.network->auxiliary_head->conv2->weight,
                           net->auxiliary_head->conv2->weight));
  const torch::Tensor x = torch::randn({2, 1, 16, 16});
  torch::NoGradGuard no_grad;
  EXPECT_TRUE(torch::equal(loaded.network->forward(x).logits, net->forward(x).logits));
  // An NB201 export is not a DARTS export, and the other way round.
  EXPECT_THROW(load_exported_network(path.string()), Error);
  const auto nb201_path = dir.path / "nb201.pt";
  export_network(small_network(), nb201_path.string(), {});
  EXPECT_THROW(load_exported_darts_network(nb201_path.string()), Error);
}

}  // namespace
}  // namespace d2a
