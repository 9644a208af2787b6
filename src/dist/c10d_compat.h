#pragma once
// The one place where LibTorch 1.13 and 2.x differ for d2a's c10d use: in 2.x the Gloo and NCCL
// process groups derive from c10d::Backend (ProcessGroup became a dispatcher over backends); in
// 1.13 they derive from c10d::ProcessGroup. Both bases offer the collectives d2a calls.
// (tools/compat/check_libtorch2.sh compiles d2a against 2.x headers.)
#include <torch/version.h>
#include <torch/csrc/distributed/c10d/ProcessGroup.hpp>

namespace d2a::dist::compat {

#if TORCH_VERSION_MAJOR >= 2
using C10dGroup = c10d::Backend;
#else
using C10dGroup = c10d::ProcessGroup;
#endif

}  // namespace d2a::dist::compat
