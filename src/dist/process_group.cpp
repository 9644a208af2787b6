#include "d2a/dist/process_group.h"

#include <torch/torch.h>

#ifndef USE_C10D_GLOO
#define USE_C10D_GLOO  // Debian's and PyTorch's LibTorch are built with Gloo; its header needs this
#endif
#include <torch/csrc/distributed/c10d/HashStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#ifdef USE_C10D_NCCL
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

#include <chrono>
#include <cstdlib>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "c10d_compat.h"
#include "d2a/error.h"
#include "d2a/nn/batch_norm.h"

namespace d2a::dist {
namespace {

// The first line of a c10d / Gloo error (they append C++ backtraces).
std::string first_line(const std::string& text) {
  const auto end = text.find('\n');
  std::string line = text.substr(0, end);
  return line.size() > 240 ? line.substr(0, 240) + "..." : line;
}

}  // namespace

struct ProcessGroup::Impl : public BatchNormReducer {
  int rank = 0;
  int world_size = 1;
  GroupOptions options;
  std::string backend = "none";
  torch::Device device = torch::kCPU;  // where a collective's own tensors live (NCCL: the GPU)
  c10::intrusive_ptr<c10d::Store> store;
  c10::intrusive_ptr<compat::C10dGroup> group;
  double communication_seconds = 0;

  using WorkPtr = decltype(std::declval<compat::C10dGroup&>().allreduce(
      std::declval<std::vector<at::Tensor>&>()));
  std::vector<WorkPtr> started;  // collectives started and not yet waited for

  // Any failure of a collective becomes one line naming this rank.
  [[noreturn]] void fail(const char* what, const std::exception& e) const {
    throw runtime_failure("rank " + std::to_string(rank) + " of " + std::to_string(world_size) +
                          ": " + what + " failed (another rank died, or it took longer than " +
                          std::to_string(options.timeout.count() / 1000) +
                          " s): " + first_line(e.what()));
  }

  void add_time_since(std::chrono::steady_clock::time_point t0) {
    communication_seconds +=
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  }

  bool polls() const { return options.busy_wait && backend == "gloo"; }

  // Waits for one collective: polling it and yielding the CPU when polls(), else asleep in
  // Work::wait.
  void await(const WorkPtr& work) const {
    if (polls()) {
      const auto deadline = std::chrono::steady_clock::now() + options.timeout;
      while (!work->isCompleted() && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::yield();
      }
    }
    work->wait(options.timeout);
  }

  // Runs one collective and waits for it.
  template <typename Start>
  void run(const char* what, Start start) {
    const auto t0 = std::chrono::steady_clock::now();
    try {
      await(start());
    } catch (const std::exception& e) {
      fail(what, e);
    }
    add_time_since(t0);
  }

  void start_all_reduce_sum(const torch::Tensor& tensor) {
    const auto t0 = std::chrono::steady_clock::now();
    std::vector<torch::Tensor> one{tensor};
    try {
      started.push_back(group->allreduce(one));
    } catch (const std::exception& e) {
      fail("all-reduce", e);
    }
    add_time_since(t0);
  }

  void wait_started() {
    const auto t0 = std::chrono::steady_clock::now();
    std::vector<WorkPtr> works;
    works.swap(started);
    for (auto& work : works) {
      try {
        await(work);
      } catch (const std::exception& e) {
        fail("all-reduce", e);
      }
    }
    add_time_since(t0);
  }

  void all_reduce_sum(torch::Tensor& tensor) override {
    std::vector<torch::Tensor> one{tensor};
    run("all-reduce", [&] { return group->allreduce(one); });
  }
};

ProcessGroup::ProcessGroup() : impl_(std::make_shared<Impl>()) {}

ProcessGroup ProcessGroup::connect(const LaunchEnv& env, torch::Device device,
                                   const GroupOptions& options) {
  ProcessGroup pg;
  Impl& impl = *pg.impl_;
  impl.rank = env.rank;
  impl.world_size = env.world_size;
  impl.options = options;
  if (!env.launched()) return pg;
  const std::string where = env.distributed()
                                ? env.master_addr + ":" + std::to_string(env.master_port)
                                : std::string("an in-process store (a world of one)");
  try {
    if (!env.distributed()) {
      impl.store = c10::make_intrusive<c10d::HashStore>();
    } else {
      c10d::TCPStoreOptions store_options;
      store_options.port = static_cast<std::uint16_t>(env.master_port);
      store_options.isServer = env.rank == 0;
      store_options.numWorkers = env.world_size;
      store_options.waitWorkers = true;
      store_options.timeout = options.timeout;
      impl.store = c10::make_intrusive<c10d::TCPStore>(env.master_addr, store_options);
    }
  } catch (const std::exception& e) {
    throw runtime_failure("rank " + std::to_string(env.rank) + " of " +
                          std::to_string(env.world_size) + ": rendezvous at " + where +
                          " failed: " + first_line(e.what()));
  }
  try {
#ifdef USE_C10D_NCCL
    if (device.is_cuda()) {
      impl.group = c10::make_intrusive<c10d::ProcessGroupNCCL>(impl.store, env.rank, env.world_size);
      impl.backend = "nccl";
      impl.device = device;
    }
#endif
    if (!impl.group) {
      auto gloo = c10d::ProcessGroupGloo::Options::create(options.timeout);
      // On one machine (MASTER_ADDR loopback) bind to loopback; else the interface in
      // GLOO_SOCKET_IFNAME, as PyTorch does, or the address this host's name resolves to.
      const char* ifname = std::getenv("GLOO_SOCKET_IFNAME");
      gloo->devices.push_back(ifname != nullptr && *ifname != '\0'
                                  ? c10d::ProcessGroupGloo::createDeviceForInterface(ifname)
                              : is_loopback_host(env.master_addr)
                                  ? c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1")
                                  : c10d::ProcessGroupGloo::createDefaultDevice());
      gloo->threads = 2;
      impl.group =
          c10::make_intrusive<c10d::ProcessGroupGloo>(impl.store, env.rank, env.world_size, gloo);
      impl.backend = "gloo";
    }
  } catch (const std::exception& e) {
    throw runtime_failure("rank " + std::to_string(env.rank) + " of " +
                          std::to_string(env.world_size) + ": rendezvous at " +
                          where + ": " + first_line(e.what()));
  }
  (void)device;
  return pg;
}

bool ProcessGroup::active() const { return impl_->group != nullptr; }

int ProcessGroup::rank() const { return impl_->rank; }
int ProcessGroup::world_size() const { return impl_->world_size; }
const GroupOptions& ProcessGroup::options() const { return impl_->options; }
std::string ProcessGroup::backend() const { return impl_->backend; }
bool ProcessGroup::polls_collectives() const { return impl_->polls(); }
double ProcessGroup::communication_seconds() const { return impl_->communication_seconds; }

void ProcessGroup::all_reduce_sum(const std::vector<torch::Tensor>& tensors) {
  if (!active() || tensors.empty()) return;
  // Flat buckets of one dtype and device: one collective per bucket, not per tensor.
  std::vector<torch::Tensor> bucket;
  std::size_t bytes = 0;
  auto flush = [&] {
    if (bucket.empty()) return;
    // One contiguous tensor is reduced where it lies; several are packed and copied back.
    const bool in_place = bucket.size() == 1 && bucket.front().is_contiguous();
    std::vector<torch::Tensor> flat_views;
    for (const auto& t : bucket) flat_views.push_back(t.reshape({-1}));
    torch::Tensor flat = in_place ? flat_views.front() : torch::cat(flat_views);
    impl_->all_reduce_sum(flat);
    std::int64_t offset = 0;
    for (auto& t : bucket) {
      const std::int64_t n = t.numel();
      if (!in_place) t.copy_(flat.narrow(0, offset, n).view_as(t));
      offset += n;
    }
    bucket.clear();
    bytes = 0;
  };
  for (const auto& t : tensors) {
    if (!bucket.empty() && (t.scalar_type() != bucket.front().scalar_type() ||
                            t.device() != bucket.front().device())) {
      flush();
    }
    bucket.push_back(t);
    bytes += t.numel() * t.element_size();
    if (bytes >= impl_->options.bucket_bytes) flush();
  }
  flush();
}

void ProcessGroup::start_all_reduce_sum(const torch::Tensor& tensor) {
  if (!active()) return;
  if (!tensor.is_contiguous())
    throw bad_input("start_all_reduce_sum: the tensor must be contiguous");
  impl_->start_all_reduce_sum(tensor);
}

void ProcessGroup::wait_started() {
  if (active()) impl_->wait_started();
}

void ProcessGroup::average(const std::vector<torch::Tensor>& tensors) {
  if (!active()) return;
  all_reduce_sum(tensors);
  const double scale = 1.0 / world_size();
  for (const auto& t : tensors) t.mul_(scale);
}

void ProcessGroup::average_gradients(const std::vector<torch::Tensor>& parameters) {
  if (!active()) return;
  std::vector<torch::Tensor> grads;
  for (const auto& p : parameters) {
    if (p.grad().defined()) grads.push_back(p.grad());
  }
  average(grads);
}

void ProcessGroup::broadcast(const std::vector<torch::Tensor>& tensors, int root) {
  if (!active()) return;
  for (const auto& t : tensors) {
    std::vector<torch::Tensor> one{t};
    c10d::BroadcastOptions options;
    options.rootRank = root;
    impl_->run("broadcast", [&] { return impl_->group->broadcast(one, options); });
  }
}

void ProcessGroup::broadcast_module(const torch::nn::Module& module) {
  if (!active()) return;
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> tensors = module.parameters();
  for (const auto& b : module.buffers()) tensors.push_back(b);
  // Broadcast needs contiguous tensors; channels-last weights are copied through a contiguous one.
  std::vector<torch::Tensor> staged;
  for (const auto& t : tensors) staged.push_back(t.is_contiguous() ? t : t.contiguous());
  broadcast(staged);
  for (std::size_t i = 0; i < tensors.size(); ++i) {
    if (!staged[i].is_same(tensors[i])) tensors[i].copy_(staged[i]);
  }
}

bool ProcessGroup::any(bool value) {
  if (!active()) return value;
  torch::Tensor flag = torch::full(
      {1}, value ? 1.0 : 0.0, torch::TensorOptions().dtype(torch::kDouble).device(impl_->device));
  impl_->all_reduce_sum(flag);
  return flag.item<double>() > 0;
}

void ProcessGroup::barrier() {
  if (!active()) return;
  impl_->run("barrier", [&] { return impl_->group->barrier(); });
}

namespace {
ProcessGroup& default_group() {
  static ProcessGroup group;
  return group;
}
}  // namespace

ProcessGroup& world() { return default_group(); }

void init_world(const LaunchEnv& env, torch::Device device, const GroupOptions& options) {
  default_group() = ProcessGroup::connect(env, device, options);
  // SyncBatchNorm goes through the default group's all-reduce.
  set_batch_norm_reducer(options.sync_batch_norm && env.distributed() ? default_group().impl_.get()
                                                                      : nullptr);
}

}  // namespace d2a::dist
