#pragma once
// Where the meta-models that ship with d2a live.
#include <string>

namespace d2a::cli {

// The default meta-model directory of `d2a suggest`: $D2A_MODELS_DIR/d2a-meta-v3 when the
// environment variable is set and not empty, else <source tree>/models/d2a-meta-v3 (CMake
// compiles the source tree's path in).
std::string default_meta_model_dir();

// The HW-NAS-Bench latency table `suggest --target` reads: $D2A_LATENCY_TABLE when set and not
// empty, else <source tree>/../shared/data/nb201/nb201_hw_latency_cifar10.csv.
std::string default_latency_table();

}  // namespace d2a::cli
