// CPU / CUDA parity and CUDA determinism of every cell op, the NAS-Bench-201 cell network and both
// supernets. Every test skips, saying why, where no CUDA device is visible (the CPU-only LibTorch
// of the development machines); the GPU kit runs them with --gtest_filter='Cuda*'.
//
// Parity: a module is built on the CPU, deep-copied to CUDA (built again from another seed, every
// parameter and buffer copied by name, then moved), and both copies run one train-mode forward on
// the same input and the backward of the same scalar loss. Outputs, input gradients, every
// parameter gradient (the supernets' alphas and betas included) and every buffer (BatchNorm
// running statistics) must agree within float32 tolerances, with TF32 off in cuDNN and cuBLAS.
//
// Determinism: with cuDNN's deterministic algorithms and torch's deterministic-algorithms mode on,
// two seeded runs of 3 SGD steps of the cell network end with bitwise-identical weights. With
// cuDNN benchmark mode on, cuDNN times candidate algorithms and may pick nondeterministic ones
// (atomics-based backward kernels), so that test only checks that the runs are close.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <ATen/Context.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <iostream>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "d2a/nn/darts_ops.h"
#include "d2a/nn/darts_supernet.h"
#include "d2a/nn/nb201_network.h"
#include "d2a/nn/nb201_ops.h"
#include "d2a/nn/nb201_supernet.h"
#include "d2a/nn/supernet.h"
#include "d2a/space/darts_genotype.h"
#include "d2a/space/nb201.h"
#include "d2a/space/nb201_cost.h"

namespace d2a {
namespace {

// cuBLAS is deterministic only with a fixed workspace (CUBLAS_WORKSPACE_CONFIG=:4096:8 or
// :16:8); torch's deterministic mode throws on the first matmul otherwise. LibTorch reads the
// variable once, at the first cuBLAS call of the process, so it is set here, before main, and
// only where the user has not set it. It changes nothing on a machine without CUDA.
const bool kCublasWorkspaceSet = [] {
  setenv("CUBLAS_WORKSPACE_CONFIG", ":4096:8", /*overwrite=*/0);
  return true;
}();

bool cublas_workspace_deterministic() {
  const char* value = std::getenv("CUBLAS_WORKSPACE_CONFIG");
  return kCublasWorkspaceSet && value != nullptr &&
         (std::strcmp(value, ":4096:8") == 0 || std::strcmp(value, ":16:8") == 0);
}

constexpr std::uint64_t kSeed = 20240601;
constexpr std::uint64_t kProbeSeed = 7;

// A float32 comparison scaled by the reference tensor's magnitude:
//   max |cuda - cpu| <= atol + rtol * max |cpu|.
// Elementwise relative error means nothing for gradients, many of whose entries are near zero.
struct Tolerance {
  double rtol;
  double atol;
};
// With TF32 off, cuDNN / cuBLAS and the CPU kernels differ only in summation order: about 1e-6
// of the scale per layer. Outputs and BatchNorm statistics get 1e-4; gradients, which pass
// through every BatchNorm's backward (differences of nearly equal sums) and, for alphas, through
// the softmax's (g_o - mean g), get 1e-3. A device bug (a wrong pad, a tensor left on the CPU, a
// different noise sample) is off by the order of the values themselves.
constexpr Tolerance kOutputTolerance{1e-4, 1e-5};
constexpr Tolerance kGradientTolerance{1e-3, 1e-5};

// `reference` is the CPU result (or a first run), `actual` the CUDA one (or a second run).
::testing::AssertionResult agrees(const std::string& what, const torch::Tensor& reference,
                                  const torch::Tensor& actual, Tolerance tolerance) {
  if (!reference.defined() || !actual.defined()) {
    return ::testing::AssertionFailure()
           << what << ": undefined " << (reference.defined() ? "actual" : "reference") << " tensor";
  }
  if (reference.sizes() != actual.sizes() || reference.scalar_type() != actual.scalar_type()) {
    return ::testing::AssertionFailure()
           << what << ": reference " << reference.sizes() << " " << reference.scalar_type()
           << " vs actual " << actual.sizes() << " " << actual.scalar_type();
  }
  if (reference.numel() == 0) return ::testing::AssertionFailure() << what << ": empty tensor";
  const torch::Tensor a = reference.detach().to(torch::kCPU, torch::kDouble);
  const torch::Tensor b = actual.detach().to(torch::kCPU, torch::kDouble);
  if (!torch::isfinite(a).all().item<bool>() || !torch::isfinite(b).all().item<bool>()) {
    return ::testing::AssertionFailure() << what << ": non-finite values";
  }
  const double scale = a.abs().max().item<double>();
  const double diff = (a - b).abs().max().item<double>();
  const double bound = tolerance.atol + tolerance.rtol * scale;
  if (diff <= bound) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << what << ": max |actual - reference| = " << diff
                                       << " > " << bound << " (max |reference| = " << scale
                                       << ")";
}

// The global cuDNN / cuBLAS switches a test changes, restored after it so that the order of the
// tests does not matter.
struct ContextFlags {
  bool tf32_cudnn, tf32_cublas, deterministic_cudnn, benchmark_cudnn;
  bool deterministic_algorithms, deterministic_warn_only;

  static ContextFlags current() {
    at::Context& c = at::globalContext();
    return {c.allowTF32CuDNN(),      c.allowTF32CuBLAS(),
            c.deterministicCuDNN(),  c.benchmarkCuDNN(),
            c.deterministicAlgorithms(), c.deterministicAlgorithmsWarnOnly()};
  }
  void apply() const {
    at::Context& c = at::globalContext();
    c.setAllowTF32CuDNN(tf32_cudnn);
    c.setAllowTF32CuBLAS(tf32_cublas);
    c.setDeterministicCuDNN(deterministic_cudnn);
    c.setBenchmarkCuDNN(benchmark_cudnn);
    c.setDeterministicAlgorithms(deterministic_algorithms, deterministic_warn_only);
  }
};

// Skips without CUDA; otherwise turns TF32 off (it rounds convolution and matmul inputs to
// 10 mantissa bits, far beyond the float32 tolerances above) and restores every flag afterwards.
class CudaTest : public ::testing::Test {
 protected:
  void SetUp() override {
    saved_ = ContextFlags::current();
    if (!torch::cuda::is_available()) {
      GTEST_SKIP() << "no CUDA device: torch::cuda::is_available() is false (a CPU-only "
                      "LibTorch or no visible GPU); these CPU/CUDA parity and determinism "
                      "tests run on a machine with a GPU and a CUDA LibTorch";
    }
    at::globalContext().setAllowTF32CuDNN(false);
    at::globalContext().setAllowTF32CuBLAS(false);
  }
  void TearDown() override { saved_.apply(); }

 private:
  ContextFlags saved_{};
};

torch::nn::Module& module_of(torch::nn::AnyModule& m) { return *m.ptr(); }
template <typename Impl>
torch::nn::Module& module_of(torch::nn::ModuleHolder<Impl>& m) {
  return *m;
}

// Copies every parameter and buffer of `from` into `to`, by name.
void copy_state(torch::nn::Module& from, torch::nn::Module& to) {
  torch::NoGradGuard no_grad;
  const auto from_parameters = from.named_parameters();
  auto to_parameters = to.named_parameters();
  ASSERT_EQ(from_parameters.size(), to_parameters.size());
  for (const auto& item : from_parameters) {
    torch::Tensor* target = to_parameters.find(item.key());
    ASSERT_NE(target, nullptr) << "parameter " << item.key();
    target->copy_(item.value());
  }
  const auto from_buffers = from.named_buffers();
  auto to_buffers = to.named_buffers();
  ASSERT_EQ(from_buffers.size(), to_buffers.size());
  for (const auto& item : from_buffers) {
    torch::Tensor* target = to_buffers.find(item.key());
    ASSERT_NE(target, nullptr) << "buffer " << item.key();
    target->copy_(item.value());
  }
}

// The module `build` makes on the CPU (seeded), and a deep copy of it on CUDA. The copy is built
// from another seed, so only the copied state makes the two equal.
template <typename Build>
auto cpu_and_cuda(Build build) {
  torch::manual_seed(kSeed);
  auto cpu = build();
  torch::manual_seed(kSeed + 1);
  auto cuda = build();
  copy_state(module_of(cpu), module_of(cuda));
  module_of(cuda).to(torch::Device(torch::kCUDA));
  module_of(cpu).train();
  module_of(cuda).train();
  return std::make_pair(cpu, cuda);
}

using Forward = std::function<torch::Tensor(const torch::Tensor&)>;

struct Pass {
  torch::Tensor output;      // on the CPU
  torch::Tensor input_grad;  // on the CPU; undefined if the output does not read the input
};

// One forward of `input` on `device` and the backward of sum(output * probe), probe a fixed
// random tensor: a plain sum would give BatchNorm'd outputs a zero gradient (each channel of a
// BatchNorm's output sums to a constant). The seed is reset before the forward so that CPU-drawn
// noise (GDAS' Gumbel samples) is the same on both devices.
Pass forward_backward(const Forward& forward, const torch::Tensor& input, torch::Device device) {
  const torch::Tensor x = input.detach().clone().to(device).requires_grad_(true);
  torch::manual_seed(kSeed + 2);
  const torch::Tensor out = forward(x);
  EXPECT_EQ(out.device(), device);
  torch::manual_seed(kProbeSeed);
  const torch::Tensor probe = torch::randn(out.sizes()).to(device);
  (out * probe).sum().backward();
  return {out.detach().cpu(), x.grad().defined() ? x.grad().cpu() : torch::Tensor()};
}

// Runs both copies on the same random input of `input_sizes` and compares output, input
// gradient, parameter gradients and buffers. `all_gradients`: every parameter must have a
// gradient (false only where an op may not run, under GDAS' hard sampling).
void expect_parity(torch::nn::Module& cpu_module, torch::nn::Module& cuda_module,
                   const Forward& cpu_forward, const Forward& cuda_forward,
                   std::vector<std::int64_t> input_sizes, bool all_gradients = true) {
  for (const auto& p : cuda_module.parameters()) ASSERT_TRUE(p.is_cuda());
  for (const auto& b : cuda_module.buffers()) ASSERT_TRUE(b.is_cuda());
  torch::manual_seed(kSeed + 3);
  const torch::Tensor input = torch::randn(input_sizes);

  const Pass cpu = forward_backward(cpu_forward, input, torch::Device(torch::kCPU));
  const Pass cuda = forward_backward(cuda_forward, input, torch::Device(torch::kCUDA));
  ASSERT_TRUE(cpu.output.defined() && cuda.output.defined());
  ASSERT_GT(cpu.output.numel(), 0);
  ASSERT_EQ(cpu.output.sizes(), cuda.output.sizes());
  EXPECT_TRUE(agrees("output", cpu.output, cuda.output, kOutputTolerance));
  ASSERT_TRUE(cpu.input_grad.defined());
  EXPECT_TRUE(agrees("input gradient", cpu.input_grad, cuda.input_grad, kGradientTolerance));

  const auto cpu_parameters = cpu_module.named_parameters();
  const auto cuda_parameters = cuda_module.named_parameters();
  ASSERT_EQ(cpu_parameters.size(), cuda_parameters.size());
  std::size_t with_gradient = 0;
  for (std::size_t i = 0; i < cpu_parameters.size(); ++i) {
    const std::string& name = cpu_parameters[i].key();
    ASSERT_EQ(name, cuda_parameters[i].key());
    const torch::Tensor& g_cpu = cpu_parameters[i].value().grad();
    const torch::Tensor& g_cuda = cuda_parameters[i].value().grad();
    if (all_gradients) {
      ASSERT_TRUE(g_cpu.defined()) << name << " has no gradient";
    }
    ASSERT_EQ(g_cpu.defined(), g_cuda.defined()) << name;
    if (!g_cpu.defined()) continue;
    EXPECT_TRUE(agrees(name + " gradient", g_cpu, g_cuda, kGradientTolerance));
    ++with_gradient;
  }
  if (!cpu_parameters.is_empty()) {
    ASSERT_GT(with_gradient, 0u);
  }

  // BatchNorm running means and variances (and the batch counters, exactly).
  const auto cpu_buffers = cpu_module.named_buffers();
  const auto cuda_buffers = cuda_module.named_buffers();
  ASSERT_EQ(cpu_buffers.size(), cuda_buffers.size());
  for (std::size_t i = 0; i < cpu_buffers.size(); ++i) {
    const std::string& name = cpu_buffers[i].key();
    ASSERT_EQ(name, cuda_buffers[i].key());
    const torch::Tensor& b_cpu = cpu_buffers[i].value();
    const torch::Tensor b_cuda = cuda_buffers[i].value().cpu();
    if (b_cpu.is_floating_point()) {
      EXPECT_TRUE(agrees(name, b_cpu, b_cuda, kOutputTolerance));
    } else {
      EXPECT_TRUE(torch::equal(b_cpu, b_cuda)) << name;
    }
  }
}

// --- NAS-Bench-201 ops ------------------------------------------------------------------------

struct Nb201OpCase {
  Nb201Op op;
  bool affine;  // false: the supernets' affine-free BatchNorm
};

void PrintTo(const Nb201OpCase& c, std::ostream* os) {
  *os << nb201_op_name(c.op) << (c.affine ? " affine" : " affine-free");
}

std::vector<Nb201OpCase> nb201_op_cases() {
  std::vector<Nb201OpCase> cases;
  for (int o = 0; o < kNb201NumOps; ++o) {
    // `none` has no module (make_nb201_op returns an empty one); NoneOps covers it.
    if (static_cast<Nb201Op>(o) == Nb201Op::kNone) continue;
    for (bool affine : {true, false}) cases.push_back({static_cast<Nb201Op>(o), affine});
  }
  return cases;
}

class CudaNb201OpParity : public CudaTest, public ::testing::WithParamInterface<Nb201OpCase> {};

TEST_P(CudaNb201OpParity, ForwardGradientsAndRunningStatsMatchCpu) {
  const Nb201OpCase c = GetParam();
  auto modules = cpu_and_cuda([&] { return make_nb201_op(c.op, 8, c.affine); });
  ASSERT_FALSE(modules.first.is_empty());
  auto& cpu = modules.first;
  auto& cuda = modules.second;
  ASSERT_NO_FATAL_FAILURE(expect_parity(
      *cpu.ptr(), *cuda.ptr(), [&](const torch::Tensor& x) { return cpu.forward(x); },
      [&](const torch::Tensor& x) { return cuda.forward(x); }, {4, 8, 16, 16}));
}

INSTANTIATE_TEST_SUITE_P(CudaEveryOp, CudaNb201OpParity, ::testing::ValuesIn(nb201_op_cases()),
                         [](const ::testing::TestParamInfo<Nb201OpCase>& info) {
                           return std::string(nb201_op_name(info.param.op)) +
                                  (info.param.affine ? "_affine" : "_no_affine");
                         });

using CudaParity = CudaTest;

TEST_F(CudaParity, Nb201ResidualBlockMatchesCpuOnAnOddSize) {
  // 15x15: the strided conv and the ceil-mode shortcut pool must both reach 8x8.
  auto modules =
      cpu_and_cuda([] { return Nb201ResidualBlock(Nb201ResidualBlockOptions(8, 16)); });
  auto& cpu = modules.first;
  auto& cuda = modules.second;
  ASSERT_NO_FATAL_FAILURE(expect_parity(
      *cpu, *cuda, [&](const torch::Tensor& x) { return cpu->forward(x); },
      [&](const torch::Tensor& x) { return cuda->forward(x); }, {4, 8, 15, 15}));
}

TEST_F(CudaParity, NoneOpsAreZerosOfTheRightShapeOnBothDevices) {
  EXPECT_TRUE(make_nb201_op(Nb201Op::kNone, 8).is_empty());
  EXPECT_TRUE(make_darts_op(DartsOp::kNone, 8, 1, false).is_empty());
  torch::manual_seed(kSeed);
  const torch::Tensor x = torch::randn({4, 8, 15, 15});
  for (std::int64_t stride : {1, 2}) {
    Zero zero(ZeroOptions().stride(stride));
    const torch::Tensor cpu = zero->forward(x);
    const torch::Tensor cuda = zero->forward(x.to(torch::kCUDA));
    ASSERT_TRUE(cuda.is_cuda());
    const std::int64_t h = (15 + stride - 1) / stride;
    ASSERT_EQ(cuda.sizes(), (torch::IntArrayRef{4, 8, h, h})) << "stride " << stride;
    EXPECT_TRUE(torch::equal(cpu, cuda.cpu())) << "stride " << stride;
    EXPECT_EQ(cuda.abs().sum().item<double>(), 0.0);
  }
}

// --- DARTS ops --------------------------------------------------------------------------------

struct DartsOpCase {
  DartsOp op;
  std::int64_t stride;
  bool affine;  // false: the search setting (affine-free BN, BN after the pools)
};

void PrintTo(const DartsOpCase& c, std::ostream* os) {
  *os << darts_op_name(c.op) << " stride " << c.stride << (c.affine ? " affine" : " affine-free");
}

std::vector<DartsOpCase> darts_op_cases() {
  std::vector<DartsOpCase> cases;
  for (int o = 0; o < kDartsNumOps; ++o) {
    // `none` has no module (an empty AnyModule); NoneOps covers it with ZeroImpl.
    if (static_cast<DartsOp>(o) == DartsOp::kNone) continue;
    for (std::int64_t stride : {1, 2}) {
      for (bool affine : {true, false}) cases.push_back({static_cast<DartsOp>(o), stride, affine});
    }
  }
  return cases;
}

class CudaDartsOpParity : public CudaTest, public ::testing::WithParamInterface<DartsOpCase> {};

TEST_P(CudaDartsOpParity, ForwardGradientsAndRunningStatsMatchCpu) {
  const DartsOpCase c = GetParam();
  auto modules = cpu_and_cuda([&] { return make_darts_op(c.op, 8, c.stride, c.affine); });
  ASSERT_FALSE(modules.first.is_empty());
  auto& cpu = modules.first;
  auto& cuda = modules.second;
  // Stride 2 runs on an odd size: FactorizedReduce's one-pixel pad and the ceil halving of the
  // strided convs and pools are the code paths most likely to differ between kernels.
  const std::int64_t size = c.stride == 2 ? 15 : 16;
  ASSERT_NO_FATAL_FAILURE(expect_parity(
      *cpu.ptr(), *cuda.ptr(), [&](const torch::Tensor& x) { return cpu.forward(x); },
      [&](const torch::Tensor& x) { return cuda.forward(x); }, {4, 8, size, size}));
}

INSTANTIATE_TEST_SUITE_P(CudaEveryOp, CudaDartsOpParity, ::testing::ValuesIn(darts_op_cases()),
                         [](const ::testing::TestParamInfo<DartsOpCase>& info) {
                           return std::string(darts_op_name(info.param.op)) + "_stride" +
                                  std::to_string(info.param.stride) +
                                  (info.param.affine ? "_affine" : "_no_affine");
                         });

// --- NAS-Bench-201 cell network ---------------------------------------------------------------

struct NetworkCase {
  const char* name;
  const char* cell;
  int channels;
  int cells_per_stage;
  std::int64_t image_size;
};

void PrintTo(const NetworkCase& c, std::ostream* os) {
  *os << c.cell << " C" << c.channels << " N" << c.cells_per_stage << " " << c.image_size << "x"
      << c.image_size;
}

Nb201MacroConfig macro(int channels, int cells_per_stage) {
  Nb201MacroConfig m;
  m.channels = channels;
  m.cells_per_stage = cells_per_stage;
  m.input_channels = 3;
  m.num_classes = 10;
  return m;
}

const char* const kAllConv3x3 =
    "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_3x3~1|"
    "nor_conv_3x3~2|";

class CudaNb201NetworkParity : public CudaTest,
                               public ::testing::WithParamInterface<NetworkCase> {};

TEST_P(CudaNb201NetworkParity, ForwardGradientsAndRunningStatsMatchCpu) {
  const NetworkCase c = GetParam();
  const Nb201Cell cell = Nb201Cell::parse(c.cell);
  auto modules = cpu_and_cuda([&] {
    return Nb201Network(Nb201NetworkOptions(cell, macro(c.channels, c.cells_per_stage)));
  });
  auto& cpu = modules.first;
  auto& cuda = modules.second;
  ASSERT_GT(cpu->parameters().size(), 10u);
  ASSERT_NO_FATAL_FAILURE(expect_parity(
      *cpu, *cuda, [&](const torch::Tensor& x) { return cpu->forward(x); },
      [&](const torch::Tensor& x) { return cuda->forward(x); },
      {4, 3, c.image_size, c.image_size}));
}

INSTANTIATE_TEST_SUITE_P(
    CudaCells, CudaNb201NetworkParity,
    ::testing::Values(
        NetworkCase{"all_conv3x3", kAllConv3x3, 8, 1, 16},
        // Every op kind, a dead node, and an odd size (15 -> 8 -> 4 through ceil-mode pools).
        NetworkCase{"mixed_odd_size",
                    "|nor_conv_1x1~0|+|avg_pool_3x3~0|none~1|+|skip_connect~0|nor_conv_3x3~1|"
                    "none~2|",
                    4, 2, 15},
        // A conv that reads an all-zero node: its BatchNorm sees zero variance and only its
        // shift reaches the output.
        NetworkCase{"conv_on_zero_node",
                    "|none~0|+|none~0|none~1|+|nor_conv_3x3~0|none~1|nor_conv_1x1~2|", 8, 1,
                    16}),
    [](const ::testing::TestParamInfo<NetworkCase>& info) { return std::string(info.param.name); });

// --- Supernets --------------------------------------------------------------------------------

struct SupernetCase {
  const char* name;
  std::int64_t channels;
  std::int64_t cells;
  std::int64_t partial_channels;
  bool edge_normalisation;
  MixingMode mode;
};

void PrintTo(const SupernetCase& c, std::ostream* os) {
  *os << c.name << " C" << c.channels << " cells " << c.cells << " K" << c.partial_channels;
}

SupernetOptions supernet_options(const SupernetCase& c) {
  return SupernetOptions()
      .channels(c.channels)
      .cells(c.cells)
      .input_channels(3)
      .num_classes(10)
      .partial_channels(c.partial_channels)
      .edge_normalisation(c.edge_normalisation);
}

// Compares the supernets' forward and gradients, then the architecture parameters on their own:
// each must have a non-zero gradient on the CPU and the same one on CUDA.
template <typename Holder>
void expect_supernet_parity(Holder& cpu, Holder& cuda, const SupernetCase& c) {
  const SupernetMixing mixing{c.mode, 1.0};
  cpu->set_mixing(mixing);
  cuda->set_mixing(mixing);
  const bool hard = c.mode == MixingMode::kGumbelHard;
  ASSERT_NO_FATAL_FAILURE(expect_parity(
      *cpu, *cuda, [&](const torch::Tensor& x) { return cpu->forward(x); },
      [&](const torch::Tensor& x) { return cuda->forward(x); }, {4, 3, 16, 16},
      /*all_gradients=*/!hard));
  const std::vector<torch::Tensor> cpu_arch = cpu->arch_parameters();
  const std::vector<torch::Tensor> cuda_arch = cuda->arch_parameters();
  ASSERT_EQ(cpu_arch.size(), cuda_arch.size());
  ASSERT_EQ(cpu_arch.size(), cpu->alphas().size() * (c.edge_normalisation ? 2 : 1));
  for (std::size_t i = 0; i < cpu_arch.size(); ++i) {
    const std::string what = "arch parameter " + std::to_string(i);
    ASSERT_TRUE(cuda_arch[i].is_cuda()) << what;
    ASSERT_TRUE(cpu_arch[i].grad().defined()) << what;
    ASSERT_TRUE(cuda_arch[i].grad().defined()) << what;
    EXPECT_GT(cpu_arch[i].grad().abs().sum().item<double>(), 0.0) << what;
    EXPECT_TRUE(agrees(what + " gradient", cpu_arch[i].grad(), cuda_arch[i].grad(),
                      kGradientTolerance));
  }
}

const std::vector<SupernetCase> kNb201SupernetCases = {
    {"softmax", 8, 1, 1, false, MixingMode::kSoftmax},
    {"pc_darts_edge_normalisation", 8, 1, 2, true, MixingMode::kSoftmax},
    // The Gumbel noise is drawn on the CPU generator on both devices (nb201_supernet.h), so the
    // same seed picks the same ops.
    {"gumbel_hard", 8, 1, 1, false, MixingMode::kGumbelHard},
};

class CudaNb201SupernetParity : public CudaTest,
                                public ::testing::WithParamInterface<SupernetCase> {};

TEST_P(CudaNb201SupernetParity, ForwardAndWeightAndArchitectureGradientsMatchCpu) {
  const SupernetCase c = GetParam();
  auto modules = cpu_and_cuda([&] { return Nb201Supernet(supernet_options(c)); });
  ASSERT_NO_FATAL_FAILURE(expect_supernet_parity(modules.first, modules.second, c));
  if (c.mode == MixingMode::kGumbelHard) {
    torch::manual_seed(kSeed);
    const torch::Tensor cpu_choice = modules.first->op_weights().argmax(-1);
    torch::manual_seed(kSeed);
    const torch::Tensor cuda_weights = modules.second->op_weights();
    ASSERT_TRUE(cuda_weights.is_cuda());
    EXPECT_TRUE(torch::equal(cpu_choice, cuda_weights.argmax(-1).cpu()));
  }
}

INSTANTIATE_TEST_SUITE_P(CudaMixing, CudaNb201SupernetParity,
                         ::testing::ValuesIn(kNb201SupernetCases),
                         [](const ::testing::TestParamInfo<SupernetCase>& info) {
                           return std::string(info.param.name);
                         });

// 4 cells: 0 normal, 1 and 2 reductions (the second reading a reduced input through
// FactorizedReduce), 3 normal after a reduction. PC-DARTS needs C/K even: C8, K2.
const std::vector<SupernetCase> kDartsSupernetCases = {
    {"softmax", 4, 4, 1, false, MixingMode::kSoftmax},
    {"pc_darts_edge_normalisation", 8, 4, 2, true, MixingMode::kSoftmax},
    {"gumbel_hard", 4, 4, 1, false, MixingMode::kGumbelHard},
};

class CudaDartsSupernetParity : public CudaTest,
                                public ::testing::WithParamInterface<SupernetCase> {};

TEST_P(CudaDartsSupernetParity, ForwardAndWeightAndArchitectureGradientsMatchCpu) {
  const SupernetCase c = GetParam();
  auto modules = cpu_and_cuda([&] { return DartsSupernet(supernet_options(c)); });
  ASSERT_EQ(modules.first->alphas().size(), 2u);
  ASSERT_NO_FATAL_FAILURE(expect_supernet_parity(modules.first, modules.second, c));
}

INSTANTIATE_TEST_SUITE_P(CudaMixing, CudaDartsSupernetParity,
                         ::testing::ValuesIn(kDartsSupernetCases),
                         [](const ::testing::TestParamInfo<SupernetCase>& info) {
                           return std::string(info.param.name);
                         });

// --- Determinism ------------------------------------------------------------------------------

struct TrainRun {
  std::vector<torch::Tensor> losses;                         // per step, on the CPU
  std::vector<std::pair<std::string, torch::Tensor>> state;  // parameters then buffers, CPU
  torch::Tensor initial_stem;                                // stem conv weight before step 1
};

// 3 SGD steps of the all-conv3x3 cell network (C8, N1) on CUDA, from seed `seed`. Batches and
// targets are drawn on the CPU generator. The loss is a mean squared error against random
// targets: cross-entropy's NLL kernel has no deterministic CUDA implementation in torch's
// deterministic mode.
TrainRun train_three_steps(std::uint64_t seed) {
  torch::manual_seed(seed);
  Nb201Network net(Nb201NetworkOptions(Nb201Cell::parse(kAllConv3x3), macro(8, 1)));
  TrainRun run;
  run.initial_stem = net->stem_conv->weight.detach().clone();
  net->to(torch::Device(torch::kCUDA));
  net->train();
  torch::optim::SGD optimizer(
      net->parameters(),
      torch::optim::SGDOptions(0.05).momentum(0.9).nesterov(true).weight_decay(5e-4));
  for (int step = 0; step < 3; ++step) {
    const torch::Tensor images = torch::randn({4, 3, 16, 16}).to(torch::kCUDA);
    const torch::Tensor targets = torch::randn({4, 10}).to(torch::kCUDA);
    optimizer.zero_grad();
    const torch::Tensor loss = torch::mse_loss(net->forward(images), targets);
    loss.backward();
    optimizer.step();
    run.losses.push_back(loss.detach().cpu());
  }
  for (const auto& item : net->named_parameters()) {
    run.state.emplace_back(item.key(), item.value().detach().cpu());
  }
  for (const auto& item : net->named_buffers()) {
    run.state.emplace_back(item.key(), item.value().detach().cpu());
  }
  return run;
}

// Both runs have the same entries, in the same order, and training moved the weights.
void expect_comparable(const TrainRun& a, const TrainRun& b) {
  ASSERT_EQ(a.losses.size(), 3u);
  ASSERT_EQ(b.losses.size(), 3u);
  ASSERT_GT(a.state.size(), 10u);
  ASSERT_EQ(a.state.size(), b.state.size());
  for (std::size_t i = 0; i < a.state.size(); ++i) {
    ASSERT_EQ(a.state[i].first, b.state[i].first);
    ASSERT_EQ(a.state[i].second.sizes(), b.state[i].second.sizes()) << a.state[i].first;
  }
  ASSERT_EQ(a.state.front().first, "stem_conv.weight");
  EXPECT_FALSE(torch::equal(a.initial_stem, a.state.front().second)) << "SGD did not move";
}

using CudaDeterminism = CudaTest;

TEST_F(CudaDeterminism, SeededTrainingRepeatsBitwiseWithDeterministicAlgorithms) {
  if (!cublas_workspace_deterministic()) {
    const char* value = std::getenv("CUBLAS_WORKSPACE_CONFIG");
    GTEST_SKIP() << "CUBLAS_WORKSPACE_CONFIG=" << (value != nullptr ? value : "(unset)")
                 << " is not a deterministic cuBLAS setting (:4096:8 or :16:8): unset it or "
                    "set one of those to run this test";
  }
  at::Context& context = at::globalContext();
  context.setBenchmarkCuDNN(false);
  context.setDeterministicCuDNN(true);
  // warn_only=false: an op without a deterministic CUDA kernel fails the test instead of
  // silently breaking the claim.
  context.setDeterministicAlgorithms(true, /*warn_only=*/false);

  const TrainRun first = train_three_steps(kSeed);
  const TrainRun second = train_three_steps(kSeed);
  ASSERT_NO_FATAL_FAILURE(expect_comparable(first, second));
  for (int step = 0; step < 3; ++step) {
    EXPECT_TRUE(torch::equal(first.losses[step], second.losses[step])) << "loss of step " << step;
  }
  for (std::size_t i = 0; i < first.state.size(); ++i) {
    EXPECT_TRUE(torch::equal(first.state[i].second, second.state[i].second))
        << first.state[i].first << " differs bitwise";
  }
}

TEST_F(CudaDeterminism, SeededTrainingUnderCudnnBenchmarkIsOnlyClose) {
  // Benchmark mode times the candidate convolution algorithms and keeps the fastest, which may
  // be a nondeterministic one (atomic adds in the weight-gradient kernels), so the runs are only
  // promised to be close; whether they happened to match bitwise is recorded, not asserted.
  at::Context& context = at::globalContext();
  context.setDeterministicAlgorithms(false, /*warn_only=*/false);
  context.setDeterministicCuDNN(false);
  context.setBenchmarkCuDNN(true);

  const TrainRun first = train_three_steps(kSeed);
  const TrainRun second = train_three_steps(kSeed);
  ASSERT_NO_FATAL_FAILURE(expect_comparable(first, second));
  bool bitwise = true;
  for (int step = 0; step < 3; ++step) {
    bitwise = bitwise && torch::equal(first.losses[step], second.losses[step]);
    EXPECT_TRUE(agrees("loss of step " + std::to_string(step), first.losses[step],
                      second.losses[step], kOutputTolerance));
  }
  for (std::size_t i = 0; i < first.state.size(); ++i) {
    const torch::Tensor& a = first.state[i].second;
    const torch::Tensor& b = second.state[i].second;
    if (a.is_floating_point()) {
      EXPECT_TRUE(agrees(first.state[i].first, a, b, kGradientTolerance));
    } else {
      EXPECT_TRUE(torch::equal(a, b)) << first.state[i].first;
    }
    bitwise = bitwise && torch::equal(a, b);
  }
  RecordProperty("bitwise_identical", bitwise ? "yes" : "no");
  std::cout << "cuDNN benchmark mode: the two runs are "
            << (bitwise ? "bitwise identical" : "close but not bitwise identical") << "\n";
}

}  // namespace
}  // namespace d2a
