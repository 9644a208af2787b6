#include "d2a/space/nb201_cost.h"

#include "d2a/error.h"

namespace d2a {
namespace {

struct Counter {
  double flops = 0;
  std::int64_t params = 0;

  // conv k x k (no bias) producing c_out x h x h
  void conv(int k, int c_in, int c_out, int h_out) {
    flops += double(k) * k * c_in * c_out * h_out * h_out;
    params += std::int64_t(k) * k * c_in * c_out;
  }
  void batch_norm(int c, int h) {
    flops += 2.0 * c * h * h;
    params += 2 * c;
  }
  void relu(int c, int h) { flops += double(c) * h * h; }
  // ReLU -> conv -> BN, the unit of every NB201 convolution
  void relu_conv_bn(int k, int c_in, int c_out, int h_in, int h_out) {
    relu(c_in, h_in);
    conv(k, c_in, c_out, h_out);
    batch_norm(c_out, h_out);
  }
};

int strided_size(int h) { return (h - 1) / 2 + 1; }  // 3x3 conv, stride 2, padding 1

}  // namespace

NetworkCost nb201_network_cost(const Nb201Cell& cell, const Nb201MacroConfig& config) {
  if (config.channels <= 0 || config.cells_per_stage <= 0 || config.image_size < 4 ||
      config.input_channels <= 0 || config.num_classes <= 1) {
    throw bad_input("invalid NAS-Bench-201 network size (channels " +
                    std::to_string(config.channels) + ", cells " +
                    std::to_string(config.cells_per_stage) + ", image " +
                    std::to_string(config.image_size) + ")");
  }
  Counter n;
  int c = config.channels;
  int h = config.image_size;
  n.conv(3, config.input_channels, c, h);  // stem
  n.batch_norm(c, h);
  for (int stage = 0; stage < 3; ++stage) {
    if (stage > 0) {  // residual block: ReLUConvBN s2, ReLUConvBN, shortcut avgpool2 + conv1x1
      const int h_out = strided_size(h);
      n.relu_conv_bn(3, c, 2 * c, h, h_out);
      n.relu_conv_bn(3, 2 * c, 2 * c, h_out, h_out);
      n.flops += 4.0 * c * (h / 2) * (h / 2);
      n.conv(1, c, 2 * c, h_out);
      c *= 2;
      h = h_out;
    }
    for (int i = 0; i < config.cells_per_stage; ++i) {
      for (Nb201Op op : cell.ops()) {
        switch (op) {
          case Nb201Op::kNorConv1x1: n.relu_conv_bn(1, c, c, h, h); break;
          case Nb201Op::kNorConv3x3: n.relu_conv_bn(3, c, c, h, h); break;
          case Nb201Op::kAvgPool3x3: n.flops += 9.0 * c * h * h; break;
          case Nb201Op::kNone:
          case Nb201Op::kSkipConnect: break;
        }
      }
    }
  }
  n.batch_norm(c, h);  // last BN + ReLU + global pool
  n.relu(c, h);
  n.flops += double(c) * h * h;
  n.flops += double(c) * config.num_classes + config.num_classes;
  n.params += std::int64_t(c) * config.num_classes + config.num_classes;
  return {n.flops, n.params};
}

}  // namespace d2a
